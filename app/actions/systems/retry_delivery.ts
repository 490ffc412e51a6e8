import db from '@adonisjs/lucid/services/db'
import AppError from '#exceptions/app_error'
import System from '#models/system'
import { appendEntry, type Actor } from '#actions/audit/record_action'
import { WEBHOOK_JOB, webhookSettings } from '#services/webhooks'

/** The webhook jobs of a system that were given up (every attempt failed), by delivery id. */
export async function givenUpDeliveries(systemId: number, deliveryIds: string[]) {
  if (deliveryIds.length === 0) return new Set<string>()
  const rows = await db
    .from('jobs')
    .where({ type: WEBHOOK_JOB, status: 'failed' })
    .whereRaw(`json_extract(payload, '$.systemId') = ?`, [systemId])
    .whereRaw(`json_extract(payload, '$.deliveryId') in (${deliveryIds.map(() => '?').join(', ')})`, deliveryIds)
    .select(db.raw(`json_extract(payload, '$.deliveryId') as delivery_id`))
  return new Set(rows.map((row: { delivery_id: string }) => row.delivery_id))
}

/**
 * An admin sends a given-up webhook again (the receiver was down longer than the retries
 * last): the same event, body and delivery id, a new round of attempts from now. Refused while
 * it is still being tried or once delivered (WEBHOOK_NOT_GIVEN_UP). Archived.
 */
export async function retryDelivery(actor: Actor, system: System, deliveryId: unknown, ip?: string) {
  const id = typeof deliveryId === 'string' && /^[0-9a-f-]{36}$/.test(deliveryId) ? deliveryId : null
  return db.transaction(async (trx) => {
    const job = id
      ? await trx
          .from('jobs')
          .where('type', WEBHOOK_JOB)
          .whereRaw(`json_extract(payload, '$.systemId') = ?`, [system.id])
          .whereRaw(`json_extract(payload, '$.deliveryId') = ?`, [id])
          .select('id', 'status', 'payload')
          .first()
      : null
    if (!job) throw AppError.notFound('WEBHOOK_DELIVERY_NOT_FOUND')
    if (job.status !== 'failed') throw AppError.conflict('WEBHOOK_NOT_GIVEN_UP')
    await trx.from('jobs').where('id', job.id).update({
      status: 'queued',
      attempts: 0,
      max_attempts: webhookSettings().maxAttempts,
      run_at: Date.now(),
      leased_until: null,
      updated_at: new Date().toISOString(),
    })
    const { event, sessionPublicId } = JSON.parse(job.payload)
    await appendEntry(trx, actor, {
      action: 'system.webhook_retry',
      subjectType: 'system',
      subjectId: system.id,
      details: { deliveryId: id, event, session: sessionPublicId ?? null },
      ip,
    })
  })
}
