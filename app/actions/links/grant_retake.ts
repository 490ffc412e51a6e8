import { randomUUID } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import ProctoringSession from '#models/proctoring_session'
import AppError from '#exceptions/app_error'
import { appendEntry, type Actor } from '#actions/audit/record_action'

/**
 * A retake: the candidate's current session in the exam must be over (finished or stopped);
 * a new session, the next sitting, is made, and the next time their link is opened it opens
 * that one. The earlier session stays as it is, in the results, as sitting 1 (2...).
 */
export async function grantRetake(examId: number, candidateId: number, actor: Actor, ip?: string) {
  return db.transaction(async (trx) => {
    const current = await ProctoringSession.query({ client: trx })
      .where({ examId, candidateId })
      .orderBy('id', 'desc')
      .first()
    if (!current) throw AppError.conflict('RETAKE_NOT_SAT')
    if (current.isOpen) throw AppError.conflict('RETAKE_SESSION_OPEN')
    const session = await ProctoringSession.create(
      {
        publicId: randomUUID(),
        examId,
        candidateId,
        systemId: current.systemId,
        status: 'not_started',
        decision: 'none',
        archived: false,
        violationCount: 0,
        sitting: (current.sitting ?? 1) + 1,
      },
      { client: trx }
    )
    await appendEntry(trx, actor, {
      action: 'session.retake',
      subjectType: 'session',
      subjectId: session.publicId,
      details: { examId, candidateId, sitting: session.sitting, previous: current.publicId, previousStatus: current.status },
      ip,
    })
    return { session, previous: current }
  })
}
