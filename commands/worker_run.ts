import { BaseCommand } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { Worker } from '#worker/worker'

/** node ace worker:run: one analysis worker process (run several, on several hosts). */
export default class WorkerRun extends BaseCommand {
  static commandName = 'worker:run'
  static description = 'Run an analysis worker: transcodes recordings and analyses them'
  static options: CommandOptions = { startApp: true, staysAlive: true }

  async run() {
    const worker = new Worker()
    const stop = () => worker.stop()
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
    await worker.run()
    await this.app.terminate()
  }
}
