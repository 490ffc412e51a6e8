import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import Job from '#models/job'
import { sqlTime } from '#services/sql_time'
import type { Database } from '#services/sqlite_direct'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { JobQueue } from '#worker/queue'

/**
 * The persistent job queue, a table in the app's own database. The app puts jobs in;
 * analysis workers lease them (see analysis-worker/queue.ts). A job with a unique key is
 * not queued twice while an earlier one is still waiting.
 */
export async function enqueue(
  type: string,
  payload: Record<string, unknown>,
  options: { uniqueKey?: string; delayMs?: number; maxAttempts?: number } = {}
) {
  return db.transaction(async (trx) => {
    if (options.uniqueKey) {
      const pending = await Job.query({ client: trx })
        .where({ uniqueKey: options.uniqueKey, status: 'queued' })
        .first()
      if (pending) return pending
    }
    return Job.create(
      {
        type,
        payload,
        uniqueKey: options.uniqueKey ?? null,
        status: 'queued',
        attempts: 0,
        maxAttempts: options.maxAttempts ?? 5,
        runAt: DateTime.now().toMillis() + (options.delayMs ?? 0),
        progress: 0,
      },
      { client: trx }
    )
  })
}

/**
 * The same as `enqueue`, as one more statement of a write already under way on the raw
 * connection (see sqlite_direct.ts): the job commits with that write or not at all, so a
 * stored chunk never misses the analysis job it should have started.
 */
export function enqueueWithin(
  conn: Database,
  type: string,
  payload: Record<string, unknown>,
  options: { uniqueKey: string; maxAttempts?: number }
) {
  const pending = conn.prepare(`SELECT id FROM jobs WHERE unique_key = ? AND status = 'queued' LIMIT 1`).get(options.uniqueKey)
  if (pending) return
  const now = sqlTime()
  conn
    .prepare(
      `INSERT INTO jobs (type, payload, unique_key, status, attempts, max_attempts, run_at, progress, created_at, updated_at)
       VALUES (?, ?, ?, 'queued', 0, ?, ?, 0, ?, ?)`
    )
    .run(type, JSON.stringify(payload), options.uniqueKey, options.maxAttempts ?? 5, Date.now(), now, now)
}

/**
 * The jobs the web app runs itself (webhooks, LTI grades): leases every due job of `type` and
 * runs them one after another. A read comes first: with nothing due (nearly always), the
 * scheduler's run every few seconds takes no write lock.
 */
export async function runDueJobs(type: string, leaseMs: number, run: (job: Job) => Promise<unknown>) {
  const now = Date.now()
  const due = await db
    .from('jobs')
    .where('type', type)
    .where((q) => q.where((w) => w.where('status', 'queued').where('run_at', '<=', now)).orWhere((w) => w.where('status', 'running').where('leased_until', '<', now)))
    .select('id')
    .first()
  if (!due) return 0
  const queue = new JobQueue(undefined, leaseMs)
  let count = 0
  for (;;) {
    const job = await queue.lease([type])
    if (!job) return count
    await run(job)
    count++
  }
}

/** After one try of such a job: when to try again (base x 2^(try-1)), or null when it is done or out of tries. */
export function nextTryOf(job: Job, retryBaseMs: number, outcome: { done: boolean; final?: boolean }) {
  if (outcome.done || outcome.final || job.attempts >= job.maxAttempts) return null
  return DateTime.now().plus({ milliseconds: retryBaseMs * 2 ** (job.attempts - 1) })
}

/** Marks a leased job done, due again at `nextTry`, or failed, in the transaction that logged its try. */
export function settleJob(trx: TransactionClientContract, job: Job, outcome: { done: boolean; nextTry: DateTime | null; error: string | null }) {
  return trx
    .from('jobs')
    .where('id', job.id)
    .update({
      status: outcome.done ? 'done' : outcome.nextTry ? 'queued' : 'failed',
      run_at: outcome.nextTry ? outcome.nextTry.toMillis() : job.runAt,
      leased_until: null,
      last_error: outcome.error,
      progress: outcome.done ? 100 : 0,
      updated_at: new Date().toISOString(),
    })
}
