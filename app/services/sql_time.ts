import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'

/**
 * A time as the database column expects it, for query-builder updates (which, unlike
 * model saves, do not format luxon values themselves).
 */
export function sqlTime(time?: DateTime) {
  return time ? time.toFormat(db.connection().dialect.dateTimeFormat) : sqlNow()
}

let cachedSecond = -1
let cachedText = ''
const two = (n: number) => String(n).padStart(2, '0')

/**
 * Now, in the same local 'yyyy-MM-dd HH:mm:ss' text as `sqlTime`, made once a second: every
 * chunk and heartbeat asks for it.
 */
function sqlNow() {
  const now = Date.now()
  const second = Math.floor(now / 1000)
  if (second !== cachedSecond) {
    const d = new Date(now)
    cachedText = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
    cachedSecond = second
  }
  return cachedText
}
