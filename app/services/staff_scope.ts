import db from '@adonisjs/lucid/services/db'
import type { ModelQueryBuilderContract } from '@adonisjs/lucid/types/model'
import type User from '#models/user'
import type ProctoringSession from '#models/proctoring_session'
import AppError from '#exceptions/app_error'

/**
 * What a staff member may see. Admins and auditors see everything; a proctor with no scope
 * rows (staff_scopes) too. A proctor limited to some exams sees only their sessions; limited
 * to some groups, only the sessions of those groups' candidates; limited to both, only the
 * sessions that are in one of the exams AND of one of the groups. Used by the results list,
 * the report, its progress and the recordings (and later the live page), in the queries.
 */
export type StaffScope = { examIds: number[]; groupIds: number[] } | null

export async function scopeOf(user: Pick<User, 'id' | 'role'>): Promise<StaffScope> {
  if (user.role !== 'proctor') return null
  const rows: { exam_id: number | null; group_id: number | null }[] = await db
    .from('staff_scopes')
    .where('user_id', user.id)
    .select('exam_id', 'group_id')
  if (rows.length === 0) return null
  return {
    examIds: rows.filter((row) => row.exam_id !== null).map((row) => Number(row.exam_id)),
    groupIds: rows.filter((row) => row.group_id !== null).map((row) => Number(row.group_id)),
  }
}

/** Narrows a query of proctoring sessions to what the scope allows. */
export function limitSessions(query: ModelQueryBuilderContract<typeof ProctoringSession, any>, scope: StaffScope) {
  if (!scope) return query
  if (scope.examIds.length) query.whereIn('examId', scope.examIds)
  if (scope.groupIds.length) {
    query.whereIn('candidateId', (sub) => sub.from('candidates').whereIn('group_id', scope.groupIds).select('id'))
  }
  return query
}

/**
 * The same limit on a plain query that joins the sessions (alias `s`) with their candidates
 * (alias `c`): the results list's one SQL query.
 */
export function limitSessionRows<Query extends { whereIn(column: string, values: number[]): unknown }>(query: Query, scope: StaffScope) {
  if (!scope) return query
  if (scope.examIds.length) query.whereIn('s.exam_id', scope.examIds)
  if (scope.groupIds.length) query.whereIn('c.group_id', scope.groupIds)
  return query
}

/** Whether one session (its exam and its candidate's group) is within the scope. */
export async function sessionInScope(session: Pick<ProctoringSession, 'examId' | 'candidateId'>, scope: StaffScope) {
  if (!scope) return true
  if (scope.examIds.length && !scope.examIds.includes(session.examId)) return false
  if (scope.groupIds.length) {
    const candidate = await db.from('candidates').where('id', session.candidateId).select('group_id').first()
    if (!candidate || !scope.groupIds.includes(Number(candidate.group_id))) return false
  }
  return true
}

/** Refuses a session outside the user's scope as if it did not exist (its number tells nothing). */
export async function assertSessionInScope(
  user: Pick<User, 'id' | 'role'>,
  session: Pick<ProctoringSession, 'examId' | 'candidateId'>,
  code = 'SESSION_NOT_FOUND'
) {
  if (!(await sessionInScope(session, await scopeOf(user)))) throw AppError.notFound(code)
}

/** The scope rows of a user, to show and edit them. */
export async function scopeRows(userId: number) {
  return db.from('staff_scopes').where('user_id', userId).select('exam_id', 'group_id')
}
