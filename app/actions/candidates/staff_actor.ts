import type User from '#models/user'
import type { Actor } from '#actions/audit/record_action'

/** The archive's view of the staff member doing something. */
export function staffActor(user: User): Actor {
  return { userId: user.id, name: user.fullName, iin: user.iin, role: user.role }
}
