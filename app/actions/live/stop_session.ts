import db from '@adonisjs/lucid/services/db'
import type ProctoringSession from '#models/proctoring_session'
import AppError from '#exceptions/app_error'
import { recordAction, type Actor } from '#actions/audit/record_action'
import { closeSession } from '#actions/sessions/close_session'
import { enqueue } from '#services/queue'
import { publish } from '#services/live/live'

export const STOP_NOTE_MAX_LENGTH = 500

/**
 * "Stop the session" from the live page: the session ends (stopped, ended by a proctor) with
 * the proctor's reason, which the student is shown at once and the report keeps. Archived.
 */
export async function stopSessionLive(actor: Actor, session: ProctoringSession, reason: unknown, ip?: string) {
  const note = typeof reason === 'string' ? reason.trim() : ''
  if (!note) throw AppError.badRequest('LIVE_STOP_REASON_REQUIRED')
  if (note.length > STOP_NOTE_MAX_LENGTH) throw AppError.badRequest('LIVE_STOP_REASON_TOO_LONG', { max: STOP_NOTE_MAX_LENGTH })
  const closed = await db.transaction(async (trx) => {
    const done = await closeSession(session, 'stopped', 'ended_by_proctor', trx)
    if (done) {
      session.useTransaction(trx).stopNote = note
      await session.save()
    }
    return done
  })
  if (!closed) throw AppError.conflict('SESSION_CLOSED')
  await recordAction(actor, { action: 'live.stop', subjectType: 'session', subjectId: session.publicId, details: { reason: note }, ip })
  await enqueue('process_session', { sessionId: session.id }, { uniqueKey: `process_session:${session.id}` })
  const event = { type: 'stopped', sessionId: session.id, reason: note }
  publish(`session:${session.id}`, event)
  publish(`watch:${session.id}`, event)
}
