import System from '#models/system'
import WebhookDelivery from '#models/webhook_delivery'
import { webhookSettings } from '#services/webhooks'
import { givenUpDeliveries } from '#actions/systems/retry_delivery'

/** How many attempts the system's page lists (newest first). */
export const DELIVERY_LOG_SIZE = 50

/**
 * What the system's page shows under its fields (pages/staff/directory_form.edge): whether each
 * secret exists and when it was made (never the secret: it is shown once, when made), and the
 * webhook delivery log, newest attempt first.
 */
export async function systemIntegration(system: System) {
  const deliveries = await WebhookDelivery.query()
    .where('systemId', system.id)
    .orderBy('id', 'desc')
    .limit(DELIVERY_LOG_SIZE)
  /* A given-up delivery can be sent again: its button sits on its newest line. */
  const givenUp = await givenUpDeliveries(system.id, [...new Set(deliveries.map((row) => row.deliveryId))])
  const seen = new Set<string>()
  const retryable = new Set<number>()
  for (const row of deliveries) {
    if (!seen.has(row.deliveryId) && givenUp.has(row.deliveryId)) retryable.add(row.id)
    seen.add(row.deliveryId)
  }
  return {
    linkSecret: { made: Boolean(system.linkSecret), at: system.linkSecretAt },
    webhookSecret: { made: Boolean(system.webhookSecret), at: system.webhookSecretAt },
    deliveries,
    retryable,
    maxAttempts: webhookSettings().maxAttempts,
  }
}
