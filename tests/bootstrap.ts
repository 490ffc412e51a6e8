import { mkdir, rm } from 'node:fs/promises'
import { assert } from '@japa/assert'
import { apiClient } from '@japa/api-client'
import type { Config } from '@japa/runner/types'
import { pluginAdonisJS } from '@japa/plugin-adonisjs'
import { sessionApiClient } from '@adonisjs/session/plugins/api_client'
import { authApiClient } from '@adonisjs/auth/plugins/api_client'
import { shieldApiClient } from '@adonisjs/shield/plugins/api_client'
import app from '@adonisjs/core/services/app'
import testUtils from '@adonisjs/core/services/test_utils'
import { spec } from '@japa/runner/reporters'
import { dataDir } from '#config/paths'

export const plugins: Config['plugins'] = [
  assert(),
  apiClient(),
  pluginAdonisJS(app),
  sessionApiClient(app),
  shieldApiClient(),
  authApiClient(app),
]

/** Ends the run with the plain "N passed, N failed, N skipped" line that CI reads. */
const closingLine = {
  name: 'closing-line',
  handler: (runner: any, emitter: any) => {
    emitter.on('runner:end', () => {
      const { aggregates } = runner.getSummary()
      const line = `${aggregates.passed} passed, ${aggregates.failed} failed, ${aggregates.skipped} skipped`
      /* After the spec reporter's own summary, which is written on the same event. */
      process.once('exit', () => process.stdout.write(`\n${line}\n`))
    })
  },
}

export const reporters: Config['reporters'] = {
  activated: ['spec', 'closing-line'],
  list: [spec(), closingLine],
}

/** Every run starts from an empty data folder and a freshly migrated SQLite file. */
export const runnerHooks: Required<Pick<Config, 'setup' | 'teardown'>> = {
  setup: [
    async () => {
      await rm(dataDir, { recursive: true, force: true })
      await mkdir(dataDir, { recursive: true })
    },
    () => testUtils.db().migrate(),
  ],
  teardown: [],
}

export const configureSuite: Config['configureSuite'] = (suite) => {
  if (suite.name === 'functional') {
    return suite.setup(() => testUtils.httpServer().start())
  }
}
