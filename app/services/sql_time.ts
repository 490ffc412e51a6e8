import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'

/**
 * A time as the database column expects it, for query-builder updates (which, unlike
 * model saves, do not format luxon values themselves).
 */
export function sqlTime(time = DateTime.now()) {
  return time.toFormat(db.connection().dialect.dateTimeFormat)
}
