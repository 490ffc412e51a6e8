import { hostname } from 'node:os'
import db from '@adonisjs/lucid/services/db'
import Job from '#models/job'

/** Thrown by a handler whose input is not there yet: the job is tried again later, free. */
export class RetryLater extends Error {
  constructor(
    readonly delayMs: number,
    reason: string
  ) {
    super(reason)
  }
}

export const WORKER_ID = `${hostname()}:${process.pid}`

/**
 * The worker's side of the job queue (the app's side is app/services/queue.ts). A job is
 * leased for `leaseMs`; a worker that dies (kill -9, power cut) simply stops renewing its
 * lease, and the job goes to the next worker once the lease has run out.
 */
export class JobQueue {
  constructor(
    readonly workerId = WORKER_ID,
    readonly leaseMs = Number(process.env.WORKER_LEASE_MS ?? 60_000)
  ) {}

  /** Takes the next due job, or one whose lease expired; one UPDATE, so two workers never share one. */
  async lease(types?: string[]): Promise<Job | null> {
    const now = Date.now()
    const typeFilter = types?.length ? `AND type IN (${types.map(() => '?').join(', ')})` : ''
    const rows = await db.rawQuery(
      `UPDATE jobs SET status = 'running', attempts = attempts + 1, leased_by = ?, leased_until = ?, updated_at = ?
       WHERE id = (
         SELECT id FROM jobs
         WHERE ((status = 'queued' AND run_at <= ?) OR (status = 'running' AND leased_until < ?)) ${typeFilter}
         ORDER BY run_at ASC, id ASC LIMIT 1
       )
       RETURNING id`,
      [this.workerId, now + this.leaseMs, new Date(now).toISOString(), now, now, ...(types ?? [])]
    )
    const id = (rows as { id: number }[])[0]?.id
    return id ? Job.find(id) : null
  }

  /** Keeps the lease while a long job runs. False when another worker has taken the job. */
  async renew(job: Job, progress?: number) {
    const changed = await db
      .from('jobs')
      .where({ id: job.id, leased_by: this.workerId, status: 'running' })
      .update({ leased_until: Date.now() + this.leaseMs, ...(progress === undefined ? {} : { progress }) })
    return Number(changed) > 0
  }

  async complete(job: Job) {
    await db
      .from('jobs')
      .where({ id: job.id, leased_by: this.workerId })
      .update({ status: 'done', progress: 100, leased_until: null, last_error: null, updated_at: new Date().toISOString() })
  }

  /** Back to the queue with a growing pause, or "failed" with its error once out of tries. */
  async fail(job: Job, error: unknown) {
    const message = error instanceof Error ? error.message : String(error)
    const update: Record<string, unknown> = { leased_until: null, last_error: message.slice(0, 4000), updated_at: new Date().toISOString() }
    if (error instanceof RetryLater) {
      Object.assign(update, { status: 'queued', attempts: Math.max(0, job.attempts - 1), run_at: Date.now() + error.delayMs })
    } else if (job.attempts >= job.maxAttempts) {
      update.status = 'failed'
    } else {
      Object.assign(update, { status: 'queued', run_at: Date.now() + Math.min(600_000, 2_000 * 2 ** job.attempts) })
    }
    await db.from('jobs').where({ id: job.id, leased_by: this.workerId }).update(update)
  }
}
