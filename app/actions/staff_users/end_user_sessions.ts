import db from '@adonisjs/lucid/services/db'
import type User from '#models/user'
import { endSessionsOf } from '#services/staff_session_store'
import { recordAction, type Actor } from '#actions/audit/record_action'

/** Who acts when an admin command is run on the server itself. */
export const CONSOLE_ACTOR: Actor = { userId: null, name: 'console', role: 'system' }

/**
 * Saves a change to a staff account that must lock out whoever is logged in as it (a new
 * password, a deactivation): every session of the user ends at once, on every host, and the
 * change is archived with how many sessions it ended.
 */
export async function saveEndingSessions(user: User, action: string, actor: Actor, ip?: string) {
  await user.save()
  const ended = await endSessionsOf(db.connection(), user.id)
  await recordAction(actor, {
    action,
    subjectType: 'user',
    subjectId: user.id,
    details: { email: user.email, sessionsEnded: ended },
    ip,
  })
  return { sessionsEnded: ended }
}
