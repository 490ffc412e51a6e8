import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Attempt from '#models/attempt'
import ProctoringSession from '#models/proctoring_session'
import { sqlTime } from '#services/sql_time'
import { queueWebhook } from '#services/webhooks'

export const END_REASONS = ['finished_by_student', 'violation_limit', 'reconnect_timeout', 'ended_by_proctor'] as const
export type EndReason = (typeof END_REASONS)[number]

/**
 * Ends an open session and its open attempt, inside the caller's transaction. The worker
 * is asked to process it by the caller, after the commit (see finish/stop/sweep).
 * Returns false when the session was already closed.
 */
export async function closeSession(
  session: ProctoringSession,
  status: 'finished' | 'stopped',
  reason: EndReason,
  trx: TransactionClientContract
) {
  await session.useTransaction(trx).refresh()
  if (!session.isOpen) return false
  const now = DateTime.now()
  await Attempt.query({ client: trx }).where('sessionId', session.id).whereNull('endedAt').update({ endedAt: sqlTime(now) })
  session.status = status
  session.endReason = reason
  session.endedAt = now
  if (!session.startedAt) session.startedAt = now
  await session.save()
  await queueWebhook(trx, session.id, 'session.finished')
  return true
}
