import db from '@adonisjs/lucid/services/db'
import type User from '#models/user'
import { endSessionsOf } from '#services/staff_session_store'
import { recordAction, type Actor } from '#actions/audit/record_action'

/** Who acts when an admin command is run on the server itself. */
export const CONSOLE_ACTOR: Actor = { userId: null, name: 'console', role: 'system' }

/**
 * Disables a staff account: it can no longer log in (it answers like a wrong password), and
 * every session it has open ends at once, on every host.
 */
export async function deactivateUser(user: User, actor: Actor = CONSOLE_ACTOR, ip?: string) {
  user.active = false
  await user.save()
  const ended = await endSessionsOf(db.connection(), user.id)
  await recordAction(actor, {
    action: 'staff_user.deactivated',
    subjectType: 'user',
    subjectId: user.id,
    details: { email: user.email, sessionsEnded: ended },
    ip,
  })
  return { sessionsEnded: ended }
}
