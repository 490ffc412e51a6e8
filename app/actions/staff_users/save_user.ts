import { randomBytes } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import User, { type StaffRole } from '#models/user'
import { appendEntry, type Actor } from '#actions/audit/record_action'
import { endSessionsOf } from '#services/staff_session_store'

export type ScopeInput = { examIds?: number[]; groupIds?: number[] }

async function writeScope(trx: any, userId: number, role: StaffRole, scope: ScopeInput) {
  await trx.from('staff_scopes').where('user_id', userId).delete()
  if (role !== 'proctor') return { examIds: [], groupIds: [] }
  const examIds = scope.examIds ?? []
  const groupIds = scope.groupIds ?? []
  const now = new Date()
  const rows = [
    ...examIds.map((examId) => ({ user_id: userId, exam_id: examId, group_id: null, created_at: now })),
    ...groupIds.map((groupId) => ({ user_id: userId, exam_id: null, group_id: groupId, created_at: now })),
  ]
  if (rows.length) await trx.table('staff_scopes').insert(rows)
  return { examIds, groupIds }
}

/**
 * A new staff account. It has no password anyone knows (a random one): the admin gives the
 * person a one-time link to choose theirs (password_link.ts). Archived with what was set.
 */
export async function createUser(input: { fullName: string; email: string; role: StaffRole } & ScopeInput, actor: Actor, ip?: string) {
  return db.transaction(async (trx) => {
    const user = await User.create(
      { fullName: input.fullName.trim(), email: input.email.toLowerCase(), role: input.role, active: true, password: randomBytes(32).toString('base64url') },
      { client: trx }
    )
    const scope = await writeScope(trx, user.id, user.role, input)
    await appendEntry(trx, actor, {
      action: 'staff_user.create',
      subjectType: 'user',
      subjectId: user.id,
      details: { email: user.email, fullName: user.fullName, role: user.role, scope },
      ip,
    })
    return user
  })
}

/**
 * A new role and scope. A changed role ends the user's sessions (they log in again with
 * the new rights). Archived with the before and after.
 */
export async function updateUser(user: User, input: { role: StaffRole } & ScopeInput, actor: Actor, ip?: string) {
  return db.transaction(async (trx) => {
    const before = {
      role: user.role,
      examIds: (await trx.from('staff_scopes').where('user_id', user.id).whereNotNull('exam_id').select('exam_id')).map((r: any) => r.exam_id),
      groupIds: (await trx.from('staff_scopes').where('user_id', user.id).whereNotNull('group_id').select('group_id')).map((r: any) => r.group_id),
    }
    const roleChanged = user.role !== input.role
    user.useTransaction(trx)
    user.role = input.role
    await user.save()
    const scope = await writeScope(trx, user.id, user.role, input)
    const sessionsEnded = roleChanged ? await endSessionsOf(trx, user.id) : 0
    await appendEntry(trx, actor, {
      action: 'staff_user.update',
      subjectType: 'user',
      subjectId: user.id,
      details: { email: user.email, before, after: { role: user.role, ...scope }, sessionsEnded },
      ip,
    })
    return user
  })
}
