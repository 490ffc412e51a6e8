import db from '@adonisjs/lucid/services/db'
import Exam from '#models/exam'

export type ExamCounts = { candidates: number; notStarted: number; inProgress: number; finished: number; pkn: number }

const NO_SESSIONS: ExamCounts = { candidates: 0, notStarted: 0, inProgress: 0, finished: 0, pkn: 0 }

/**
 * The exams list: newest first, the archived ones only when asked, each with its sessions
 * counted by status. "Finished" is every ended session; "ПКН" those of them stopped by the
 * violation limit (end_reason 'violation_limit', see close_session.ts). The counts are summed
 * from those SQLite keeps per exam and status (session_list_counts, migration 0020): a few rows
 * per exam instead of every session (500 ms on 100,000 sessions before).
 */
export async function listExams(options: { withArchived: boolean }) {
  const query = Exam.query().preload('discipline').orderBy('id', 'desc')
  if (!options.withArchived) query.where('archived', false)
  const exams = await query
  const rows = await db
    .from('session_list_counts')
    .whereIn(
      'exam_id',
      exams.map((exam) => exam.id)
    )
    .groupBy('exam_id')
    .select('exam_id')
    .select(
      db.raw('sum(n) as candidates'),
      db.raw("sum(case when status = 'not_started' then n else 0 end) as not_started"),
      db.raw("sum(case when status = 'in_progress' then n else 0 end) as in_progress"),
      db.raw("sum(case when status in ('finished', 'stopped') then n else 0 end) as finished"),
      db.raw("sum(case when end_reason = 'violation_limit' then n else 0 end) as pkn")
    )
  const byExam = new Map<number, ExamCounts>(
    rows.map((row: any) => [
      Number(row.exam_id),
      {
        candidates: Number(row.candidates),
        notStarted: Number(row.not_started),
        inProgress: Number(row.in_progress),
        finished: Number(row.finished),
        pkn: Number(row.pkn),
      },
    ])
  )
  const [{ n }] = await db.from('exams').where('archived', true).count('* as n')
  return { exams: exams.map((exam) => ({ exam, counts: byExam.get(exam.id) ?? NO_SESSIONS })), archivedCount: Number(n) }
}
