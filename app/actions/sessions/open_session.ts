import { randomUUID } from 'node:crypto'
import Exam from '#models/exam'
import Candidate from '#models/candidate'
import ProctoringSession from '#models/proctoring_session'
import AppError from '#exceptions/app_error'
import { assertExamOpen } from '#actions/exams/exam_window'

/**
 * The session of one candidate in one exam: the latest one, or a new one. A finished
 * session is returned as it is, so the page can say so.
 */
export async function openSession(examId: number, candidateId: number) {
  const exam = await Exam.find(examId)
  const candidate = await Candidate.find(candidateId)
  if (!exam || !candidate) throw AppError.notFound('EXAM_NOT_FOUND')

  const latest = await ProctoringSession.query()
    .where({ examId: exam.id, candidateId: candidate.id })
    .orderBy('id', 'desc')
    .first()
  /* Outside the exam's opening hours no session is opened (a closed one is still shown as it ended). */
  if (!latest || latest.isOpen) assertExamOpen(exam)
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
      violationCount: 0,
    }))
  return { session, exam, candidate }
}

/** The exams a link offers, each with the candidate's session in it if there is one (S5). */
export async function examChoices(examIds: number[], candidateId: number) {
  const exams = await Exam.query().whereIn('id', examIds).preload('discipline').orderBy('title')
  const sessions = await ProctoringSession.query().whereIn('examId', examIds).where('candidateId', candidateId)
  return exams.map((exam) => ({ exam, session: sessions.filter((s) => s.examId === exam.id).at(-1) ?? null }))
}
