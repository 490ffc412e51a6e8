import encryption from '@adonisjs/core/services/encryption'
import db from '@adonisjs/lucid/services/db'
import MailSetting, { type TlsMode } from '#models/mail_setting'
import { appendEntry, type Actor } from '#actions/audit/record_action'
import { PASSWORD_PURPOSE } from '#services/mail/outbox'

export type MailSettingsInput = {
  host: string
  port: number
  tlsMode: TlsMode
  username?: string
  password?: string
  clearPassword?: '1'
  fromAddress: string
  fromName?: string
}

/**
 * Saves the SMTP settings (one row) and archives what changed: each field's old and new value,
 * except the password, of which only "set", "changed" or "removed" is archived.
 */
export async function saveMailSettings(actor: Actor, input: MailSettingsInput, ip?: string) {
  return db.transaction(async (trx) => {
    const existing = await MailSetting.find(1, { client: trx })
    const row = existing ?? new MailSetting()
    row.useTransaction(trx)
    const before = existing
      ? { host: existing.host, port: existing.port, tlsMode: existing.tlsMode, username: existing.username, fromAddress: existing.fromAddress, fromName: existing.fromName }
      : null
    row.id = 1
    row.host = input.host
    row.port = input.port
    row.tlsMode = input.tlsMode
    row.username = input.username || null
    row.fromAddress = input.fromAddress
    row.fromName = input.fromName || null
    row.updatedBy = actor.userId
    let password: 'set' | 'changed' | 'removed' | null = null
    if (input.password) {
      password = row.password ? 'changed' : 'set'
      row.password = encryption.encrypt(input.password, { purpose: PASSWORD_PURPOSE })
    } else if (input.clearPassword && row.password) {
      password = 'removed'
      row.password = null
    }
    await row.save()
    const after = { host: row.host, port: row.port, tlsMode: row.tlsMode, username: row.username, fromAddress: row.fromAddress, fromName: row.fromName }
    const changes: Record<string, { from: unknown; to: unknown }> = {}
    for (const [key, value] of Object.entries(after)) {
      const old = before ? (before as Record<string, unknown>)[key] : null
      if (old !== value) changes[key] = { from: old ?? null, to: value ?? null }
    }
    await appendEntry(trx, actor, {
      action: 'mail.settings',
      subjectType: 'mail_settings',
      subjectId: 1,
      details: { created: !existing, changes, ...(password ? { password } : {}) },
      ip,
    })
    return { row, changed: Object.keys(changes).length > 0 || password !== null }
  })
}
