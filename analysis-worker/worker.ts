import logger from '@adonisjs/core/services/logger'
import type Job from '#models/job'
import { JobQueue } from './queue.js'
import { processSession } from './jobs/process_session.js'
import { analyseRecording } from './jobs/analyse_recording.js'

type Handler = (payload: any, progress: (percent: number) => Promise<unknown>) => Promise<void>

/** Every kind of job a worker knows, by the type the app queues it under. */
export const HANDLERS: Record<string, Handler> = {
  process_session: processSession,
  analyse_recording: analyseRecording,
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Takes jobs one at a time until told to stop. The lease is renewed while a job runs, so
 * a long transcode is not handed to a second worker; a killed worker's job is picked up
 * by the next one once its lease runs out.
 */
export class Worker {
  private stopping = false

  constructor(
    readonly queue = new JobQueue(),
    readonly idleMs = 500
  ) {}

  stop() {
    this.stopping = true
  }

  async runOne(job: Job) {
    const handler = HANDLERS[job.type]
    const log = logger.child({ job: job.id, type: job.type, attempt: job.attempts })
    const heartbeat = setInterval(() => void this.queue.renew(job), this.queue.leaseMs / 3)
    try {
      if (!handler) throw new Error(`no handler for job type "${job.type}"`)
      await handler(job.payload, (percent) => this.queue.renew(job, percent))
      await this.queue.complete(job)
      log.info('job done')
    } catch (error) {
      await this.queue.fail(job, error)
      log.warn({ err: error }, 'job not done')
    } finally {
      clearInterval(heartbeat)
    }
  }

  async run() {
    logger.info({ worker: this.queue.workerId }, 'analysis worker started')
    while (!this.stopping) {
      const job = await this.queue.lease(Object.keys(HANDLERS))
      if (job) await this.runOne(job)
      else await sleep(this.idleMs)
    }
    logger.info({ worker: this.queue.workerId }, 'analysis worker stopped')
  }
}
