import app from '@adonisjs/core/services/app'
import logger from '@adonisjs/core/services/logger'
import { sqlTime } from '#services/sql_time'
import { batchedWrite } from '#services/sqlite_direct'

/**
 * When each student's page (and phone) was last heard from, for the reconnect window (S9)
 * and the phone's status. Every call of the student API is a sign of life; writing each
 * one to the database would cost a commit per request, so the latest times are kept here
 * and written together every few seconds. The sweep allows for that lag: its windows are
 * minutes long, and losing a few seconds of "seen" to a crash only makes a session look
 * quiet a little earlier.
 */
export const PRESENCE_FLUSH_MS = 5000

const seen = new Map<number, { page?: string; phone?: string }>()
let timer: NodeJS.Timeout | undefined

export function markSeen(sessionId: number, role: 'student' | 'phone') {
  const entry = seen.get(sessionId) ?? {}
  entry[role === 'phone' ? 'phone' : 'page'] = sqlTime()
  seen.set(sessionId, entry)
  if (!timer) {
    timer = setTimeout(() => void flushPresence(), PRESENCE_FLUSH_MS)
    timer.unref()
  }
}

/** Writes what was seen since the last flush, in one transaction. */
export async function flushPresence() {
  clearTimeout(timer)
  timer = undefined
  if (seen.size === 0) return
  const batch = [...seen]
  seen.clear()
  try {
    await batchedWrite((conn) => {
      const page = conn.prepare('UPDATE proctoring_sessions SET last_seen_at = ? WHERE id = ?')
      const phone = conn.prepare('UPDATE proctoring_sessions SET phone_last_seen_at = ? WHERE id = ?')
      for (const [id, entry] of batch) {
        if (entry.page) page.run(entry.page, id)
        if (entry.phone) phone.run(entry.phone, id)
      }
    })
  } catch (error) {
    /* The schema is gone (a test run rolled it back before the app stopped): nothing to keep. */
    if (String(error).includes('no such table')) return
    logger.warn({ err: error }, 'could not write when students were last seen; trying again')
    for (const [id, entry] of batch) if (!seen.has(id)) seen.set(id, entry)
    timer ??= setTimeout(() => void flushPresence(), PRESENCE_FLUSH_MS)
  }
}

app.terminating(() => flushPresence())
