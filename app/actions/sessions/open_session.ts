import { randomUUID } from 'node:crypto'
import Exam from '#models/exam'
import Candidate from '#models/candidate'
import ProctoringSession from '#models/proctoring_session'
import AppError from '#exceptions/app_error'
import type { StudentLinkClaims } from '#actions/sessions/student_link'

/**
 * The session a student's link leads to: the candidate's open session for that exam, or
 * a new one. A finished session is returned as it is, so the page can say so.
 */
export async function openSession(claims: StudentLinkClaims) {
  const exam = await Exam.find(claims.examId)
  const candidate = await Candidate.find(claims.candidateId)
  if (!exam || !candidate) throw AppError.notFound('EXAM_NOT_FOUND')

  const latest = await ProctoringSession.query()
    .where({ examId: exam.id, candidateId: candidate.id })
    .orderBy('id', 'desc')
    .first()
  const session =
    latest ??
    (await ProctoringSession.create({
      publicId: randomUUID(),
      examId: exam.id,
      candidateId: candidate.id,
      systemId: exam.systemId,
      status: 'not_started',
      decision: 'none',
      archived: false,
    }))
  return { session, exam, candidate }
}
