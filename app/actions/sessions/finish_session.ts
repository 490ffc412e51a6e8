import db from '@adonisjs/lucid/services/db'
import Attempt from '#models/attempt'
import Recording, { STREAMS, type StreamKind } from '#models/recording'
import ProctoringSession from '#models/proctoring_session'
import { closeSession } from '#actions/sessions/close_session'
import { enqueue } from '#services/queue'

export type ChunkTotals = Partial<Record<StreamKind, number>>

/**
 * Tells the server how many chunks each stream of an attempt has, so the worker knows
 * when a recording is complete. Called when the student finishes, and whenever the page
 * stops an attempt's recorders (reconnect, limit stop).
 */
export async function recordChunkTotals(session: ProctoringSession, attemptNumber: number, totals: ChunkTotals) {
  const attempt = await Attempt.query().where({ sessionId: session.id, number: attemptNumber }).first()
  if (!attempt) return
  for (const stream of STREAMS) {
    const total = totals[stream]
    if (total !== undefined) {
      await Recording.query().where({ attemptId: attempt.id, stream }).update({ expectedChunks: total })
    }
  }
}

/** The student pressed "finish". Finishing twice is harmless. */
export async function finishSession(session: ProctoringSession, attemptNumber: number, totals: ChunkTotals) {
  await recordChunkTotals(session, attemptNumber, totals)
  await db.transaction((trx) => closeSession(session, 'finished', 'finished_by_student', trx))
  await enqueue('process_session', { sessionId: session.id }, { uniqueKey: `process_session:${session.id}` })
}
