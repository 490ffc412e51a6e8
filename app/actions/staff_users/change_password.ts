import type User from '#models/user'
import type { Actor } from '#actions/audit/record_action'
import { CONSOLE_ACTOR, saveEndingSessions } from '#actions/staff_users/end_user_sessions'

/**
 * Sets a new password (hashed by the model) and ends every session the user has open, so
 * whoever knew the old one is out at once.
 */
export async function changePassword(user: User, password: string, actor: Actor = CONSOLE_ACTOR, ip?: string) {
  user.password = password
  return saveEndingSessions(user, 'staff_user.password_changed', actor, ip)
}
