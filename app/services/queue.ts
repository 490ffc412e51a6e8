import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import Job from '#models/job'

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
