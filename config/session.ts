import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig, stores } from '@adonisjs/session'
import { staffSessionStore } from '#services/staff_session_store'

/**
 * How long a staff session lives: it ends after `idle` without a request, and `max` after
 * login however busy it is (checked by the store on every request, swept by the scheduler).
 */
export const staffSessionLimits = {
  idleMs: env.get('SESSION_IDLE_MINUTES', 60) * 60_000,
  maxMs: env.get('SESSION_MAX_HOURS', 12) * 3_600_000,
}

const sessionConfig = defineConfig({
  enabled: true,
  cookieName: 'proctor-session',
  clearWithBrowser: false,
  /* The cookie itself never outlives the session's absolute lifetime. */
  age: `${Math.ceil(staffSessionLimits.maxMs / 1000)}s`,
  cookie: {
    path: '/',
    httpOnly: true,
    secure: app.inProduction && env.get('APP_URL').startsWith('https'),
    sameSite: 'lax',
  },
  /*
   * database: server-side, in the shared SQLite file, so logout, a password change or
   * deactivating a user ends that user's sessions on every host at once. cookie keeps the
   * whole session in the (encrypted) cookie, which no logout can take back.
   */
  store: env.get('SESSION_DRIVER', 'database'),
  stores: {
    database: staffSessionStore(staffSessionLimits),
    cookie: stores.cookie(),
  },
})

export default sessionConfig
