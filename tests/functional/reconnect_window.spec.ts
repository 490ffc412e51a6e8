import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import { closeAbandonedSessions } from '#actions/sessions/close_abandoned'
import { flushPresence } from '#services/presence'
import { sqlTime } from '#services/sql_time'
import { examWithCandidate } from '#tests/helpers/fixtures'
import { openStudentLink, studentApi } from '#tests/helpers/http'

/*
| S9: the scheduled sweep closes a running session whose page was not heard from within its
| exam's reconnect window, and no other. It picks them in SQL (by each exam's own window),
| so these cases pin down what it must pick.
*/

/** A running session (its first attempt started through the API), last heard from `agoSeconds` ago. */
async function running(windowSeconds: number, agoSeconds: number, heard = true) {
  const { link } = await examWithCandidate({ reconnectWindowSeconds: windowSeconds })
  const student = await openStudentLink(env.get('APP_URL'), link)
  const start = await studentApi(env.get('APP_URL'), student).startAttempt()
  if (!start.ok) throw new Error(`the attempt answered ${start.status}`)
  /* What the API marked as seen is written first, so it cannot overwrite the times set here. */
  await flushPresence()
  const then = sqlTime(DateTime.now().minus({ seconds: agoSeconds }))
  await db
    .from('proctoring_sessions')
    .where('public_id', student.sessionId)
    .update({ last_seen_at: heard ? then : null, started_at: then })
  return student.sessionId
}

const state = (publicId: string) => db.from('proctoring_sessions').where('public_id', publicId).select('status', 'end_reason').firstOrFail()

test.group('Reconnect window (S9)', () => {
  test('the sweep closes the running sessions past their exam\'s reconnect window as finished, and only those', async ({ assert }) => {
    const gone = await running(300, 600)
    const neverHeard = await running(300, 600, false)
    const justSeen = await running(300, 60)
    const longWindow = await running(3600, 600)

    assert.isAtLeast(await closeAbandonedSessions(), 2)
    for (const publicId of [gone, neverHeard]) {
      assert.deepEqual({ ...(await state(publicId)) }, { status: 'finished', end_reason: 'reconnect_timeout' }, publicId)
    }
    for (const publicId of [justSeen, longWindow]) {
      assert.deepEqual({ ...(await state(publicId)) }, { status: 'in_progress', end_reason: null }, publicId)
    }
  })
})
