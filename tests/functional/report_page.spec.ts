import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import ProctoringSession from '#models/proctoring_session'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { WebClient, openStudentLink } from '#tests/helpers/http'
import type { StaffRole } from '#models/user'

const baseUrl = () => env.get('APP_URL')

async function sessionOfNewStudent() {
  const { sessionId } = await openStudentLink(baseUrl(), (await examWithCandidate()).link)
  return ProctoringSession.findByOrFail('publicId', sessionId)
}

async function loggedIn(role: StaffRole, language = 'en') {
  const { user, password } = await staffUser(role)
  const client = new WebClient(baseUrl(), language)
  await client.login(user.email, password)
  return client
}

test.group('Report page', () => {
  test('an auditor opening a report leaves it unviewed', async ({ assert }) => {
    const session = await sessionOfNewStudent()
    const auditor = await loggedIn('auditor')
    assert.equal((await auditor.request(`/staff/sessions/${session.publicId}`)).status, 200)
    await session.refresh()
    assert.isNull(session.viewedAt)

    /* A proctor's review is what marks it. */
    const proctor = await loggedIn('proctor')
    assert.equal((await proctor.request(`/staff/sessions/${session.publicId}`)).status, 200)
    await session.refresh()
    assert.isNotNull(session.viewedAt)
  })

  test('a failed processing shows a translated message with its code, never a server path', async ({ assert }) => {
    const session = await sessionOfNewStudent()
    session.status = 'finished'
    await session.save()
    const serverPath = '/var/lib/proctor/recordings/7f3a/attempt-1/webcam.source.webm'
    const now = new Date().toISOString()
    await db.table('jobs').insert({
      type: 'process_session',
      payload: JSON.stringify({ sessionId: session.id }),
      unique_key: `process_session:${session.id}`,
      status: 'failed',
      attempts: 5,
      max_attempts: 5,
      run_at: Date.now(),
      last_error: `webcam #1: ffmpeg exited with code 1: ${serverPath}: Invalid data found when processing input\nre-encoding failed too: ${serverPath}: EBML header parsing failed`,
      progress: 40,
      created_at: now,
      updated_at: now,
    })
    const proctor = await loggedIn('proctor', 'ru')

    const page = await (await proctor.request(`/staff/sessions/${session.publicId}`)).text()
    assert.include(page, 'data-error-code="PROCESSING_FAILED"')
    assert.include(page, 'Не удалось обработать запись')
    assert.notInclude(page, '/var/lib/proctor')
    assert.notInclude(page, 'ffmpeg')

    /* The live progress stream: processing is over, so it sends one event and ends. */
    const stream = await proctor.request(`/staff/sessions/${session.publicId}/progress`)
    assert.equal(stream.headers.get('content-type'), 'text/event-stream; charset=utf-8')
    const text = await stream.text()
    const progress = JSON.parse(/^data: (.*)$/m.exec(text)![1])
    assert.equal(progress.state, 'failed')
    assert.deepEqual(progress.errors, [{ code: 'PROCESSING_FAILED', message: 'Не удалось обработать запись. Подробности — в журнале обработчика записей.' }])
    assert.notInclude(text, '/var/lib/proctor')
    assert.notInclude(text, 'ffmpeg')
  })
})
