import db from '@adonisjs/lucid/services/db'
import type User from '#models/user'
import { endSessionsOf } from '#services/staff_session_store'
import { recordAction } from '#actions/audit/record_action'

/**
 * Logout ends every session the user is logged in with, on every host: a copied cookie of
 * any of them opens nothing afterwards.
 */
export async function logOut(user: User, ip: string) {
  const ended = await endSessionsOf(db.connection(), user.id)
  await recordAction(
    { userId: user.id, name: user.fullName, iin: user.iin, role: user.role },
    { action: 'auth.logout', details: { sessionsEnded: ended }, ip }
  )
}
