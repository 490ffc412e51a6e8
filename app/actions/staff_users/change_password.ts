import db from '@adonisjs/lucid/services/db'
import type User from '#models/user'
import { endSessionsOf } from '#services/staff_session_store'
import { recordAction, type Actor } from '#actions/audit/record_action'
import { CONSOLE_ACTOR } from '#actions/staff_users/deactivate_user'

/**
 * Sets a new password (hashed by the model) and ends every session the user has open, so
 * whoever knew the old one is out at once.
 */
export async function changePassword(user: User, password: string, actor: Actor = CONSOLE_ACTOR, ip?: string) {
  user.password = password
  await user.save()
  const ended = await endSessionsOf(db.connection(), user.id)
  await recordAction(actor, {
    action: 'staff_user.password_changed',
    subjectType: 'user',
    subjectId: user.id,
    details: { email: user.email, sessionsEnded: ended },
    ip,
  })
  return { sessionsEnded: ended }
}
