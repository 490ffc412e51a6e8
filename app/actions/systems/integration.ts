import System from '#models/system'
import WebhookDelivery from '#models/webhook_delivery'
import { webhookSettings } from '#services/webhooks'

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
  return {
    linkSecret: { made: Boolean(system.linkSecret), at: system.linkSecretAt },
    webhookSecret: { made: Boolean(system.webhookSecret), at: system.webhookSecretAt },
    deliveries,
    maxAttempts: webhookSettings().maxAttempts,
  }
}
