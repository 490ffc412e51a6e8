import { createHmac, randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import env from '#start/env'
import Job from '#models/job'
import System from '#models/system'
import WebhookDelivery from '#models/webhook_delivery'
import { nextTryOf, runDueJobs, settleJob } from '#services/queue'
import { secretOf } from '#actions/systems/secrets'

/*
| Webhooks to other systems (README "Other systems"). When a session ends and when a decision
| is set, a `deliver_webhook` job is queued in the same transaction as the change, for the
| session's system when it has a webhook URL. The web app's scheduler runs these jobs
| (start/scheduler.ts, `deliverDueWebhooks`); analysis workers lease only their own job types,
| so they never take one. Each attempt POSTs the JSON body to the system's registered URL (and
| no other: redirects are not followed), with a timeout, signed with the system's webhook
| secret; anything but a 2xx is tried again after base x 2^(attempt-1) (30 s, 1 min, 2 min ...:
| 8 attempts over about an hour by default), and every attempt is logged in webhook_deliveries.
*/

export const WEBHOOK_JOB = 'deliver_webhook'
export type WebhookEvent = 'session.finished' | 'decision.set'

export const webhookSettings = () => ({
  retryBaseMs: env.get('WEBHOOK_RETRY_BASE_MS') ?? 30_000,
  maxAttempts: env.get('WEBHOOK_MAX_ATTEMPTS') ?? 8,
  timeoutMs: env.get('WEBHOOK_TIMEOUT_MS') ?? 10_000,
})

/** X-Proctor-Signature: lowercase hex HMAC-SHA256 of `<timestamp>.<body>` under the webhook secret. */
export function signWebhook(secret: string, timestamp: string, body: string) {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')
}

/**
 * Queues the event for the session's system, inside the caller's transaction (the job commits
 * with the change or not at all). Nothing is queued when the session came from no system, or
 * its system is switched off or has no webhook URL.
 */
export async function queueWebhook(trx: TransactionClientContract, sessionId: number, event: WebhookEvent) {
  const row = await trx
    .from('proctoring_sessions as s')
    .join('systems as y', 'y.id', 's.system_id')
    .leftJoin('candidates as c', 'c.id', 's.candidate_id')
    .where('s.id', sessionId)
    .whereNotNull('y.webhook_url')
    .select('s.public_id', 's.exam_id', 's.status', 's.credibility', 's.decision', 's.system_id', 'y.active', 'c.external_id')
    .first()
  if (!row || !row.active) return null
  const deliveryId = randomUUID()
  const body = JSON.stringify({
    deliveryId,
    event,
    sessionId: row.public_id,
    examId: row.exam_id,
    candidateExternalId: row.external_id ?? null,
    status: row.status,
    credibility: row.credibility ?? null,
    decision: row.decision,
    at: new Date().toISOString(),
  })
  return Job.create(
    {
      type: WEBHOOK_JOB,
      payload: { deliveryId, systemId: row.system_id, event, sessionPublicId: row.public_id, body },
      uniqueKey: null,
      status: 'queued',
      attempts: 0,
      maxAttempts: webhookSettings().maxAttempts,
      runAt: Date.now(),
      progress: 0,
    },
    { client: trx }
  )
}

type Payload = { deliveryId: string; systemId: number; event: string; sessionPublicId: string | null; body: string }

/** One POST; the answer's status, or the reason there was none. */
async function post(system: System, body: string, payload: Payload, timeoutMs: number) {
  const secret = secretOf(system, 'webhook')
  if (!system.webhookUrl || !secret || !system.active) return { error: 'WEBHOOK_NOT_CONFIGURED', final: true }
  const timestamp = String(Math.floor(Date.now() / 1000))
  try {
    const response = await fetch(system.webhookUrl, {
      method: 'POST',
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'proctor-appliance-webhook',
        'x-proctor-event': payload.event,
        'x-proctor-delivery': payload.deliveryId,
        'x-proctor-timestamp': timestamp,
        'x-proctor-signature': signWebhook(secret, timestamp, body),
      },
    })
    await response.body?.cancel().catch(() => {})
    return { statusCode: response.status }
  } catch (error: any) {
    const reason = error?.name === 'TimeoutError' ? 'timeout' : String(error?.cause?.code ?? error?.message ?? error)
    return { error: reason.slice(0, 500) }
  }
}

/** Delivers one leased job: logs the attempt, then marks the job done, due again later, or failed. */
async function deliver(job: Job, options: { retryBaseMs: number; timeoutMs: number }) {
  const payload = job.payload as Payload
  const system = await System.find(payload.systemId)
  const result = system ? await post(system, payload.body, payload, options.timeoutMs) : { error: 'WEBHOOK_NOT_CONFIGURED', final: true }
  const now = DateTime.now()
  const delivered = 'statusCode' in result && result.statusCode! >= 200 && result.statusCode! < 300
  const nextTry = nextTryOf(job, options.retryBaseMs, { done: delivered, final: 'final' in result && result.final })
  const error = 'error' in result ? result.error! : delivered ? null : `HTTP ${result.statusCode}`
  await db.transaction(async (trx) => {
    if (system) {
      await WebhookDelivery.create(
        {
          systemId: system.id,
          deliveryId: payload.deliveryId,
          event: payload.event,
          sessionPublicId: payload.sessionPublicId,
          attempt: job.attempts,
          statusCode: 'statusCode' in result ? result.statusCode! : null,
          error: delivered ? null : error,
          nextTryAt: nextTry,
          deliveredAt: delivered ? now : null,
        },
        { client: trx }
      )
    }
    await settleJob(trx, job, { done: delivered, nextTry, error })
  })
  if (!delivered) logger.warn({ system: payload.systemId, delivery: payload.deliveryId, attempt: job.attempts, error }, 'webhook not delivered')
  return delivered
}

/** Delivers every webhook that is due now, one after another. Run by the scheduler every few seconds. */
export async function deliverDueWebhooks(overrides: Partial<{ retryBaseMs: number; timeoutMs: number }> = {}) {
  const options = { ...webhookSettings(), ...overrides }
  return runDueJobs(WEBHOOK_JOB, options.timeoutMs + 30_000, (job) => deliver(job, options))
}
