import env from '#start/env'
import { defineConfig, stores } from '@adonisjs/limiter'
import type { InferLimiters } from '@adonisjs/limiter/types'

const limiterConfig = defineConfig({
  default: 'database',
  stores: {
    /*
     * In the app's own SQLite file (table rate_limits), so that a limit holds across
     * restarts and is shared by every app process and host. Expired rows are cleared
     * every 5 minutes by the store itself.
     */
    database: stores.database({
      connectionName: 'sqlite',
      tableName: 'rate_limits',
      keyPrefix: 'limit',
      clearExpiredByTimeout: true,
    }),
  },
})

export default limiterConfig

/**
 * Staff login throttling (app/actions/auth/attempt_login.ts). Every attempt counts, a
 * successful one is taken back; past a limit the account or the address is refused for
 * the block time, right password or not.
 */
export const loginLimits = {
  /** Attempts for one e-mail within a minute; the next one is refused. */
  perAccount: env.get('LOGIN_ATTEMPTS_PER_ACCOUNT', 10),
  /** Failed attempts from one client address within a minute, across accounts. */
  perAddress: env.get('LOGIN_ATTEMPTS_PER_ADDRESS', 30),
  /** How long a throttled account or address is refused. */
  blockMinutes: env.get('LOGIN_BLOCK_MINUTES', 15),
}

declare module '@adonisjs/limiter/types' {
  export interface LimitersList extends InferLimiters<typeof limiterConfig> {}
}
