import { configProvider } from '@adonisjs/core'
import type { HttpContext } from '@adonisjs/core/http'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import type { SessionData, SessionStoreContract, SessionStoreFactory } from '@adonisjs/session/types'

/**
 * Staff login sessions kept server-side in the shared database (table staff_sessions), so
 * that a session ends for good when its row is gone: a cookie copied before logout opens
 * nothing afterwards, on any app host. Each row names the user it is logged in as, so all of
 * a user's sessions can be ended at once (logout, password change, deactivation).
 */
export const STAFF_SESSIONS_TABLE = 'staff_sessions'

export type SessionLimits = { idleMs: number; maxMs: number }

/** The key the 'web' session guard keeps the logged-in user's id under (`auth_<guard>`). */
const AUTH_KEY = 'auth_web'

/** A session's last request is written at most this often, not on every request. */
const TOUCH_EVERY_MS = 15_000

/**
 * Only the staff side keeps a session. Student pages and the student API authenticate with
 * their signed link and bearer token; storing a session (a CSRF secret) for each of their
 * requests would add a write to every chunk and fill the table.
 */
const STAFF_PATHS = /^\/(?:login|logout|staff)(?:\/|$)/

type Row = { data: string; created_at: number | string; last_seen_at: number | string }

/** Neither idle past the timeout nor older than the absolute lifetime. */
export function isLive(row: Pick<Row, 'created_at' | 'last_seen_at'>, limits: SessionLimits, now = Date.now()) {
  return now - Number(row.last_seen_at) < limits.idleMs && now - Number(row.created_at) < limits.maxMs
}

function loggedInUserId(values: SessionData): number | null {
  const id = Number(values[AUTH_KEY])
  return Number.isSafeInteger(id) && id > 0 ? id : null
}

export class DatabaseSessionStore implements SessionStoreContract {
  /** The id read() found alive in this request: only that row may be updated in place. */
  #liveId?: string
  #lastSeen = 0

  constructor(
    private client: QueryClientContract,
    private limits: SessionLimits
  ) {}

  async read(sessionId: string) {
    const row: Row | null = await this.client
      .from(STAFF_SESSIONS_TABLE)
      .where('id', sessionId)
      .select('data', 'created_at', 'last_seen_at')
      .first()
    if (!row) return null
    if (!isLive(row, this.limits)) {
      await this.destroy(sessionId)
      return null
    }
    this.#liveId = sessionId
    this.#lastSeen = Number(row.last_seen_at)
    try {
      return JSON.parse(row.data) as SessionData
    } catch {
      return null
    }
  }

  async write(sessionId: string, values: SessionData) {
    const now = Date.now()
    const fields = { data: JSON.stringify(values), user_id: loggedInUserId(values), last_seen_at: now }
    if (sessionId === this.#liveId) {
      /*
       * An update, never an insert: if the session was ended while this request ran
       * (logout elsewhere, deactivation), writing its values back must not revive it.
       */
      await this.client.from(STAFF_SESSIONS_TABLE).where('id', sessionId).update(fields)
      return
    }
    /* A new session (a fresh id after login, or a visitor's first page). */
    await this.client
      .knexQuery()
      .table(STAFF_SESSIONS_TABLE)
      .insert({ id: sessionId, ...fields, created_at: now })
      .onConflict('id')
      .merge(['data', 'user_id', 'last_seen_at'])
  }

  async destroy(sessionId: string) {
    await this.client.from(STAFF_SESSIONS_TABLE).where('id', sessionId).delete()
  }

  async touch(sessionId: string) {
    const now = Date.now()
    if (sessionId !== this.#liveId || now - this.#lastSeen < TOUCH_EVERY_MS) return
    await this.client.from(STAFF_SESSIONS_TABLE).where('id', sessionId).update({ last_seen_at: now })
  }
}

/** Keeps nothing: the session of a request outside the staff side. */
class NoSessionStore implements SessionStoreContract {
  read() {
    return null
  }
  write() {}
  destroy() {}
  touch() {}
}

/** The `database` entry of config/session.ts. */
export function staffSessionStore(limits: SessionLimits) {
  return configProvider.create(async (app): Promise<SessionStoreFactory> => {
    const db = await app.container.make('lucid.db')
    const none = new NoSessionStore()
    return (ctx: HttpContext | null) =>
      ctx && !STAFF_PATHS.test(ctx.request.url()) ? none : new DatabaseSessionStore(db.connection(), limits)
  })
}

/** Ends every session the user is logged in with, on every host. Returns how many. */
export async function endSessionsOf(client: QueryClientContract, userId: number) {
  return Number(await client.from(STAFF_SESSIONS_TABLE).where('user_id', userId).delete())
}

/** Deletes the rows of sessions past their idle timeout or their absolute lifetime. */
export async function sweepEndedSessions(client: QueryClientContract, limits: SessionLimits, now = Date.now()) {
  return Number(
    await client
      .from(STAFF_SESSIONS_TABLE)
      .where('last_seen_at', '<=', now - limits.idleMs)
      .orWhere('created_at', '<=', now - limits.maxMs)
      .delete()
  )
}
