import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import Attempt from '#models/attempt'
import Recording, { STREAMS, type StreamKind } from '#models/recording'
import ProctoringSession from '#models/proctoring_session'
import { enqueue } from '#services/queue'

export type ChunkTotals = Partial<Record<StreamKind, number>>

/**
 * The student pressed "finish": the session and its open attempt close, each recording
 * learns how many chunks the browser made, and the worker is asked to process them.
 * Finishing twice is harmless.
 */
export async function finishSession(session: ProctoringSession, attemptNumber: number, totals: ChunkTotals) {
  await db.transaction(async (trx) => {
    session.useTransaction(trx)
    const now = DateTime.now()
    const attempt = await Attempt.query({ client: trx })
      .where({ sessionId: session.id, number: attemptNumber })
      .first()
    if (attempt) {
      if (!attempt.endedAt) {
        attempt.endedAt = now
        await attempt.useTransaction(trx).save()
      }
      for (const stream of STREAMS) {
        const total = totals[stream]
        if (total === undefined) continue
        await Recording.query({ client: trx })
          .where({ attemptId: attempt.id, stream })
          .update({ expectedChunks: total })
      }
    }
    if (session.isOpen) {
      session.status = 'finished'
      session.endReason = 'finished_by_student'
      session.endedAt = now
      if (!session.startedAt) session.startedAt = now
      await session.save()
    }
  })
  await enqueue('process_session', { sessionId: session.id }, { uniqueKey: `process_session:${session.id}` })
}
