import { randomUUID } from 'node:crypto'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import emitter from '@adonisjs/core/services/emitter'
import encryption from '@adonisjs/core/services/encryption'
import { Mailer } from '@adonisjs/mail'
import { SMTPTransport } from '@adonisjs/mail/transports/smtp'
import env from '#start/env'
import { dataDir } from '#config/paths'
import MailSetting from '#models/mail_setting'
import OutboxMessage, { type OutboxKind } from '#models/outbox_message'

/*
| E-mail (README "E-mail"). Every message is a row in `outbox` first: the queue and the log in
| one. The web app's scheduler (start/scheduler.ts, `deliverDueMail`) takes each due row, sends
| it through the SMTP server an admin set at /staff/mail (read from the database at each try,
| so a fix to the settings applies to the next try), and writes the outcome on the row: sent,
| or failed and due again after base x 2^(attempt-1) (1 min, 2 min, 4 min ... by default), or
| given up after the last try (or at once when the server refuses the recipient for good).
| An attachment is written under DATA_DIR/outbox/ when the message is queued (the report as the
| viewer asked for it then, not as it may read later) and removed once sent or given up.
*/

export const PASSWORD_PURPOSE = 'mail-smtp-password'
export const outboxDir = () => join(dataDir, 'outbox')

export const mailDeliverySettings = () => ({
  retryBaseMs: env.get('MAIL_RETRY_BASE_MS') ?? 60_000,
  maxAttempts: env.get('MAIL_MAX_ATTEMPTS') ?? 6,
  timeoutMs: env.get('MAIL_TIMEOUT_MS') ?? 20_000,
})

export async function currentMailSettings() {
  return MailSetting.find(1)
}

/** Whether an admin has set an SMTP server (nothing can be sent before). */
export async function mailConfigured() {
  return (await currentMailSettings()) !== null
}

export type QueuedMail = {
  to: string
  subject: string
  text: string
  kind: OutboxKind
  language: string
  createdBy?: number | null
  attachment?: { name: string; data: Buffer }
}

/** Puts a message in the outbox, due now. */
export async function queueMail(mail: QueuedMail) {
  let attachmentPath: string | null = null
  if (mail.attachment) {
    await mkdir(outboxDir(), { recursive: true })
    attachmentPath = join('outbox', `${randomUUID()}.bin`)
    await writeFile(join(dataDir, attachmentPath), mail.attachment.data)
  }
  return OutboxMessage.create({
    toAddress: mail.to,
    subject: mail.subject.slice(0, 300),
    kind: mail.kind,
    language: mail.language,
    bodyText: mail.text,
    attachmentPath,
    attachmentName: mail.attachment?.name ?? null,
    status: 'queued',
    attempts: 0,
    maxAttempts: mailDeliverySettings().maxAttempts,
    lastError: null,
    nextTryAt: Date.now(),
    leasedUntil: null,
    sentAt: null,
    createdBy: mail.createdBy ?? null,
  })
}

/**
 * Why a try failed, as a stable code (translated in errors.json) and the server's own words.
 * `final`: trying again cannot help (the server refused the recipient for good).
 */
export function mailFailure(error: any): { code: string; detail: string; final: boolean } {
  const detail = String(error?.response ?? error?.message ?? error).replace(/\s+/g, ' ').slice(0, 400)
  const code = String(error?.code ?? '')
  const responseCode = Number(error?.responseCode ?? 0)
  if (code === 'MAIL_NOT_CONFIGURED') return { code, detail: '', final: false }
  if (code === 'EAUTH' || code === 'ENOAUTH') return { code: 'MAIL_AUTH_FAILED', detail, final: false }
  if (code === 'ETLS' || /certificate|TLS|SSL|wrong version number/i.test(detail)) return { code: 'MAIL_TLS_FAILED', detail, final: false }
  if (code === 'EDNS' || /ENOTFOUND|EAI_AGAIN/.test(detail)) return { code: 'MAIL_HOST_NOT_FOUND', detail, final: false }
  if (code === 'ETIMEDOUT' || /timeout|timed out/i.test(detail)) return { code: 'MAIL_TIMEOUT', detail, final: false }
  if (code === 'EENVELOPE' && /RCPT/i.test(String(error?.command ?? ''))) return { code: 'MAIL_RECIPIENT_REFUSED', detail, final: responseCode >= 500 }
  if (code === 'ECONNECTION' || code === 'ESOCKET' || /ECONNREFUSED|ECONNRESET|EHOSTUNREACH/.test(detail)) {
    return { code: responseCode ? 'MAIL_REFUSED' : 'MAIL_CONNECTION_FAILED', detail, final: false }
  }
  if (responseCode) return { code: 'MAIL_REFUSED', detail, final: false }
  return { code: 'MAIL_SEND_FAILED', detail, final: false }
}

/** The stored `last_error`: `CODE` or `CODE: the server's words`. */
export function splitMailError(lastError: string | null) {
  if (!lastError) return null
  const at = lastError.indexOf(': ')
  return at < 0 ? { code: lastError, detail: '' } : { code: lastError.slice(0, at), detail: lastError.slice(at + 2) }
}

class MailError extends Error {
  constructor(readonly code: string) {
    super(code)
  }
}

/** One try: builds a mailer over the stored SMTP settings and sends the row's message. */
async function sendOnce(row: OutboxMessage, timeoutMs: number) {
  const settings = await currentMailSettings()
  if (!settings) throw new MailError('MAIL_NOT_CONFIGURED')
  const password = settings.password ? encryption.decrypt<string>(settings.password, PASSWORD_PURPOSE) : null
  const transport = new SMTPTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.tlsMode === 'tls',
    requireTLS: settings.tlsMode === 'starttls',
    ignoreTLS: settings.tlsMode === 'none',
    auth: settings.username ? { type: 'login', user: settings.username, pass: password ?? '' } : undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    /* Never anything else than the server the admin set (no proxy, no DNS-based service lookup). */
    name: new URL(env.get('APP_URL')).hostname,
  })
  const mailer = new Mailer('appliance', transport, emitter as any)
  try {
    await mailer.send((message) => {
      message.from(settings.fromAddress, settings.fromName ?? undefined).to(row.toAddress).subject(row.subject).text(row.bodyText)
      if (row.attachmentPath) message.attach(join(dataDir, row.attachmentPath), { filename: row.attachmentName ?? 'attachment' })
    })
  } finally {
    await mailer.close().catch(() => {})
  }
}

/** Tries one leased row and writes the outcome on it. Returns whether it was sent. */
async function deliver(row: OutboxMessage, options: { retryBaseMs: number; timeoutMs: number }) {
  const attempt = row.attempts + 1
  let failure: ReturnType<typeof mailFailure> | null = null
  try {
    await sendOnce(row, options.timeoutMs)
  } catch (error) {
    failure = mailFailure(error)
  }
  const now = Date.now()
  const lastTry = attempt >= row.maxAttempts || Boolean(failure?.final)
  row.attempts = attempt
  row.leasedUntil = null
  if (!failure) {
    row.status = 'sent'
    row.sentAt = DateTime.fromMillis(now)
    row.nextTryAt = null
    row.lastError = null
  } else {
    row.status = lastTry ? 'gave_up' : 'failed'
    row.nextTryAt = lastTry ? null : now + options.retryBaseMs * 2 ** (attempt - 1)
    row.lastError = (failure.detail ? `${failure.code}: ${failure.detail}` : failure.code).slice(0, 500)
    logger.warn({ outbox: row.id, attempt, error: row.lastError }, 'e-mail not sent')
  }
  /* A password reset link is a key: not kept once the message is sent or given up. */
  if ((row.status === 'sent' || row.status === 'gave_up') && row.kind === 'password_reset') row.bodyText = ''
  await row.save()
  if ((row.status === 'sent' || row.status === 'gave_up') && row.attachmentPath) {
    await rm(join(dataDir, row.attachmentPath), { force: true })
  }
  return !failure
}

/** Takes the row for one try (no other process or run takes it meanwhile); false when someone else did. */
async function lease(id: number, timeoutMs: number) {
  const now = Date.now()
  const taken = await db
    .from('outbox')
    .where('id', id)
    .whereIn('status', ['queued', 'failed'])
    .where((q) => q.whereNull('leased_until').orWhere('leased_until', '<', now))
    .update({ leased_until: now + timeoutMs * 3 + 30_000 })
  return Number(Array.isArray(taken) ? taken[0] : taken) === 1
}

/** Sends one message now (the admin's test e-mail), whatever its due time; its row, as it ends. */
export async function deliverNow(id: number, overrides: Partial<{ retryBaseMs: number; timeoutMs: number }> = {}) {
  const options = { ...mailDeliverySettings(), ...overrides }
  if (!(await lease(id, options.timeoutMs))) return OutboxMessage.findOrFail(id)
  const row = await OutboxMessage.findOrFail(id)
  await deliver(row, options)
  return row
}

/** Sends every message that is due, one after another. Run by the scheduler every few seconds. */
export async function deliverDueMail(overrides: Partial<{ retryBaseMs: number; timeoutMs: number }> = {}) {
  const options = { ...mailDeliverySettings(), ...overrides }
  let count = 0
  for (;;) {
    const now = Date.now()
    /* A read first: with nothing due (nearly always), the every-2-seconds run takes no write lock. */
    const due = await db
      .from('outbox')
      .whereIn('status', ['queued', 'failed'])
      .where('next_try_at', '<=', now)
      .where((q) => q.whereNull('leased_until').orWhere('leased_until', '<', now))
      .orderBy('next_try_at')
      .select('id')
      .first()
    if (!due) return count
    if (!(await lease(due.id, options.timeoutMs))) continue
    const row = await OutboxMessage.findOrFail(due.id)
    await deliver(row, options)
    count++
  }
}
