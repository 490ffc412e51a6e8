import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Attempt from '#models/attempt'
import Recording, { STREAMS, type StreamKind } from '#models/recording'
import ProctoringSession from '#models/proctoring_session'
import AppError from '#exceptions/app_error'
import { closeSession } from '#actions/sessions/close_session'
import { enqueue } from '#services/queue'

export type ChunkTotals = Partial<Record<StreamKind, number>>

/**
 * The page cuts a chunk every 3 s; allowing one a second leaves room for the last chunk
 * at stop and for timer jitter, and still bounds a total by the attempt's real length.
 */
const MIN_CHUNK_INTERVAL_MS = 1000

/*
| Why totals are guarded: the worker holds a recording until all its expected chunks are in,
| up to 30 minutes after the session ended (analysis-worker/jobs/process_session.ts). A total
| that is too high, or one changed after the end, would hold the report for nothing. So a
| total is at most what the attempt could have recorded, and once the session is closed:
| - after the student's own "finish" (which carries the totals) no total is taken any more;
| - after the server ended it (violation limit, reconnect window, proctor), the page still
|   reports its last attempt's totals once; a recording's total, once known, never changes.
*/

/** Most chunks one stream of this attempt can have: what its time allows, or what is already stored. */
function possibleChunks(attempt: Attempt, stored: number, now: DateTime) {
  const lasted = Math.max(0, (attempt.endedAt ?? now).diff(attempt.startedAt).toMillis())
  /* Tests and benches send recorded chunks faster than real time: those are stored already. */
  return Math.max(Math.ceil(lasted / MIN_CHUNK_INTERVAL_MS) + 2, stored)
}

async function writeTotals(session: ProctoringSession, attemptNumber: number, totals: ChunkTotals, trx: TransactionClientContract) {
  const attempt = await Attempt.query({ client: trx }).where({ sessionId: session.id, number: attemptNumber }).first()
  if (!attempt) throw AppError.notFound('ATTEMPT_NOT_FOUND')
  const recordings = await Recording.query({ client: trx }).where('attemptId', attempt.id)
  const now = DateTime.now()
  const changes: { recording: Recording; total: number }[] = []
  for (const stream of STREAMS) {
    const total = totals[stream]
    if (total === undefined) continue
    const recording = recordings.find((r) => r.stream === stream)
    if (total > possibleChunks(attempt, recording?.chunkCount ?? 0, now)) {
      throw new AppError('CHUNK_TOTALS_INVALID', 422, { stream })
    }
    /* A stream that sent no chunk has no recording: its total of 0 (or more) changes nothing. */
    if (!recording || recording.expectedChunks === total) continue
    if (!session.isOpen && recording.expectedChunks !== null) throw AppError.conflict('SESSION_CLOSED')
    changes.push({ recording, total })
  }
  for (const { recording, total } of changes) {
    recording.useTransaction(trx).expectedChunks = total
    await recording.save()
  }
}

/**
 * Tells the server how many chunks each stream of an attempt has, so the worker knows
 * when a recording is complete. Called whenever the page stops an attempt's recorders
 * (reconnect, limit stop); "finish" carries them itself.
 */
export async function recordChunkTotals(session: ProctoringSession, attemptNumber: number, totals: ChunkTotals) {
  await db.transaction(async (trx) => {
    await session.useTransaction(trx).refresh()
    if (!session.isOpen && session.endReason === 'finished_by_student') throw AppError.conflict('SESSION_CLOSED')
    await writeTotals(session, attemptNumber, totals, trx)
  })
}

/**
 * The student pressed "finish". Finishing twice is harmless: the page retries until it is
 * answered, so a closed session answers as before and takes nothing new.
 */
export async function finishSession(session: ProctoringSession, attemptNumber: number, totals: ChunkTotals) {
  await db.transaction(async (trx) => {
    await session.useTransaction(trx).refresh()
    if (!session.isOpen) return
    await writeTotals(session, attemptNumber, totals, trx)
    await closeSession(session, 'finished', 'finished_by_student', trx)
  })
  await enqueue('process_session', { sessionId: session.id }, { uniqueKey: `process_session:${session.id}` })
}
