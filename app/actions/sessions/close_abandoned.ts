import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import ProctoringSession from '#models/proctoring_session'
import { closeSession } from '#actions/sessions/close_session'
import { enqueue } from '#services/queue'
import { sqlTime } from '#services/sql_time'

/**
 * S9: a session whose page has not been heard from for longer than its exam's reconnect
 * window is closed as finished, with the reason recorded. Runs on a schedule.
 */
export async function closeAbandonedSessions(now = DateTime.now()) {
  /* Only the sessions past their window are read: every running session, as models, every
     10 s in the first web process was a pause of its event loop in a large exam. Times are
     kept as local text, which SQLite's datetime() reckons with as it is. */
  const open = await ProctoringSession.query()
    .where('status', 'in_progress')
    .whereRaw(
      `coalesce(last_seen_at, started_at, created_at) <
         datetime(?, '-' || (SELECT reconnect_window_seconds FROM exams WHERE exams.id = proctoring_sessions.exam_id) || ' seconds')`,
      [sqlTime(now)]
    )
    .preload('exam')
  let closed = 0
  for (const session of open) {
    const lastSign = session.lastSeenAt ?? session.startedAt ?? session.createdAt
    if (now.diff(lastSign, 'seconds').seconds <= session.exam.reconnectWindowSeconds) continue
    const didClose = await db.transaction((trx) => closeSession(session, 'finished', 'reconnect_timeout', trx))
    if (!didClose) continue
    closed++
    logger.info({ session: session.publicId }, 'session closed: no reconnect within the window')
    await enqueue('process_session', { sessionId: session.id }, { uniqueKey: `process_session:${session.id}` })
  }
  return closed
}
