import type User from '#models/user'
import type { Actor } from '#actions/audit/record_action'
import { CONSOLE_ACTOR, saveEndingSessions } from '#actions/staff_users/end_user_sessions'

export { CONSOLE_ACTOR }

/**
 * Disables a staff account: it can no longer log in (it answers like a wrong password), and
 * every session it has open ends at once, on every host.
 */
export async function deactivateUser(user: User, actor: Actor = CONSOLE_ACTOR, ip?: string) {
  user.active = false
  return saveEndingSessions(user, 'staff_user.deactivated', actor, ip)
}
