import { randomBytes } from 'node:crypto'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import encryption from '@adonisjs/core/services/encryption'
import System from '#models/system'
import { appendEntry, type Actor } from '#actions/audit/record_action'

/*
| Each signed-link system has two secrets of its own, both made here (32 random bytes,
| base64url), stored encrypted with the app's key, and shown to the admin once, when made:
| - the link secret: the system signs the links it builds with it (system_link.ts);
| - the webhook secret: the appliance signs the webhooks it sends with it (webhooks.ts).
| Two secrets, not one: the receiver of the webhooks is often another program than the portal
| that builds the links, and whoever can check a webhook must not be able to let students in.
*/

export type SecretKind = 'link' | 'webhook'
export const SECRET_KINDS: SecretKind[] = ['link', 'webhook']

const COLUMN = { link: 'linkSecret', webhook: 'webhookSecret' } as const
const MADE_AT = { link: 'linkSecretAt', webhook: 'webhookSecretAt' } as const
const PURPOSE = { link: 'system-link-secret', webhook: 'system-webhook-secret' } as const

/** The secret in clear, or null when none was made (or it no longer decrypts under this APP_KEY). */
export function secretOf(system: System, kind: SecretKind): string | null {
  const stored = system[COLUMN[kind]]
  if (!stored) return null
  return encryption.decrypt<string>(stored, PURPOSE[kind]) ?? null
}

/**
 * Makes a new secret (the old one stops working at once) and archives that it changed,
 * never the secret itself. Returns the secret in clear, for the admin to copy once.
 */
export async function regenerateSecret(actor: Actor, system: System, kind: SecretKind, ip?: string) {
  const secret = randomBytes(32).toString('base64url')
  const replaced = Boolean(system[COLUMN[kind]])
  await db.transaction(async (trx) => {
    system.useTransaction(trx)
    system[COLUMN[kind]] = encryption.encrypt(secret, { purpose: PURPOSE[kind] })
    system[MADE_AT[kind]] = DateTime.now()
    await system.save()
    await appendEntry(trx, actor, {
      action: `system.${kind}_secret`,
      subjectType: 'system',
      subjectId: system.id,
      details: { replaced },
      ip,
    })
  })
  return secret
}
