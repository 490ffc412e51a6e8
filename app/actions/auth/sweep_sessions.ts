import db from '@adonisjs/lucid/services/db'
import { staffSessionLimits } from '#config/session'
import { sweepEndedSessions } from '#services/staff_session_store'

/** Deletes staff sessions past their idle timeout or absolute lifetime (the store refuses them anyway). */
export function sweepStaffSessions() {
  return sweepEndedSessions(db.connection(), staffSessionLimits)
}
