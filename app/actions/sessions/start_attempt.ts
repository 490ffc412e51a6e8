import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import Attempt from '#models/attempt'
import ProctoringSession from '#models/proctoring_session'
import AppError from '#exceptions/app_error'
import Exam from '#models/exam'
import { assertExamOpen } from '#actions/exams/exam_window'

/**
 * Starts recording: the session becomes "in progress" and gets a new attempt (a reload
 * or a reconnect starts the next one; the earlier attempt is closed).
 */
export async function startAttempt(session: ProctoringSession, client: { userAgent?: string; ip?: string }) {
  if (!session.isOpen) throw AppError.conflict('SESSION_CLOSED')
  assertExamOpen(await Exam.findOrFail(session.examId))
  return db.transaction(async (trx) => {
    session.useTransaction(trx)
    const now = DateTime.now()
    const last = await Attempt.query({ client: trx }).where('sessionId', session.id).orderBy('number', 'desc').first()
    if (last && !last.endedAt) {
      last.endedAt = now
      await last.useTransaction(trx).save()
    }
    const attempt = await Attempt.create(
      {
        sessionId: session.id,
        number: (last?.number ?? 0) + 1,
        userAgent: client.userAgent?.slice(0, 255) ?? null,
        ip: client.ip ?? null,
        startedAt: now,
      },
      { client: trx }
    )
    if (session.status === 'not_started') {
      session.status = 'in_progress'
      session.startedAt = now
    }
    await session.save()
    return attempt
  })
}
