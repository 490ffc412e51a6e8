import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import Job from '#models/job'
import { sqlTime } from '#services/sql_time'
import type { Database } from '#services/sqlite_direct'

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
