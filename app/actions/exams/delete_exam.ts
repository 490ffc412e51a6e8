import db from '@adonisjs/lucid/services/db'
import Exam from '#models/exam'
import AppError from '#exceptions/app_error'
import { appendEntry, type Actor } from '#actions/audit/record_action'
import { examSnapshot } from '#actions/exams/save_exam'

/** How many sessions (sittings of candidates) an exam has. */
export async function sessionCount(examId: number) {
  const [{ n }] = await db.from('proctoring_sessions').where('exam_id', examId).count('* as n')
  return Number(n)
}

/**
 * Deletes an exam nobody has sat yet. An exam with sessions is refused (EXAM_HAS_SESSIONS):
 * its results and recordings depend on it, so it can only be archived.
 */
export async function deleteExam(actor: Actor, exam: Exam, ip: string) {
  await db.transaction(async (trx) => {
    const [{ n }] = await trx.from('proctoring_sessions').where('exam_id', exam.id).count('* as n')
    if (Number(n) > 0) throw AppError.conflict('EXAM_HAS_SESSIONS', { count: Number(n) })
    await trx.from('exams').where('id', exam.id).delete()
    await appendEntry(trx, actor, {
      action: 'exam.delete',
      subjectType: 'exam',
      subjectId: exam.id,
      details: { title: exam.title, deleted: examSnapshot(exam) },
      ip,
    })
  })
}

/** Hides an exam from the list (or shows it again); its sessions and links are untouched. */
export async function setExamArchived(actor: Actor, exam: Exam, archived: boolean, ip: string) {
  if (Boolean(exam.archived) === archived) return
  await db.transaction(async (trx) => {
    exam.useTransaction(trx)
    exam.archived = archived
    await exam.save()
    await appendEntry(trx, actor, {
      action: archived ? 'exam.archive' : 'exam.unarchive',
      subjectType: 'exam',
      subjectId: exam.id,
      details: { title: exam.title, changes: { archived: [!archived, archived] } },
      ip,
    })
  })
}
