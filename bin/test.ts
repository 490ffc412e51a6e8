process.env.NODE_ENV = 'test'

import 'reflect-metadata'
import { randomBytes } from 'node:crypto'
import { Ignitor, prettyPrintError } from '@adonisjs/core'
import { configure, processCLIArgs, run } from '@japa/runner'
import { APP_ROOT, importer } from './importer.js'

/* Tests need no .env: they run on their own data folder with a fresh key. */
process.env.DATA_DIR ??= 'tmp/test-data'
process.env.APP_KEY ??= randomBytes(32).toString('base64url')
process.env.PORT ??= String(20_000 + Math.floor(Math.random() * 30_000))
process.env.HOST ??= '127.0.0.1'
process.env.APP_URL ??= `http://127.0.0.1:${process.env.PORT}`
/* Staff sessions in the database, as in production: logout and expiry are tested for real. */
process.env.SESSION_DRIVER = 'database'
/* Every test logs in from 127.0.0.1; only the login tests themselves should meet this limit. */
process.env.LOGIN_ATTEMPTS_PER_ADDRESS ??= '1000'
process.env.LOG_LEVEL ??= 'warn'
/* Live video: one mediasoup worker per test server, on any free port (several servers run at once). */
process.env.LIVE_WORKERS ??= '1'
process.env.LIVE_PORT ??= '0'
process.env.LIVE_LISTEN_IP ??= '127.0.0.1'

new Ignitor(APP_ROOT, { importer })
  .tap((app) => app.booting(async () => void (await import('#start/env'))))
  .testRunner()
  .configure(async (app) => {
    const { runnerHooks, ...config } = await import('../tests/bootstrap.js')
    processCLIArgs(process.argv.splice(2))
    configure({
      ...app.rcFile.tests,
      ...config,
      setup: runnerHooks.setup,
      teardown: runnerHooks.teardown.concat([() => app.terminate()]),
    })
  })
  .run(() => run())
  .catch((error) => {
    process.exitCode = 1
    prettyPrintError(error)
  })
