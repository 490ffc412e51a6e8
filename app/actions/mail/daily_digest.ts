import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import i18nManager from '@adonisjs/i18n/services/main'
import env from '#start/env'
import logger from '@adonisjs/core/services/logger'
import { recordAction, SYSTEM_ACTOR } from '#actions/audit/record_action'
import { mailConfigured, queueMail } from '#services/mail/outbox'

/*
| The daily digest (O1): each morning, every active admin with an e-mail address gets yesterday's
| figures: sessions begun and ended, ПКН stops, system check failures by kind, sessions waiting for
| a decision, and processing jobs that failed. It is queued in the outbox (sent and retried like
| any mail) once per admin and day, at DIGEST_AT (local time, "07:00" by default) or at the first
| check after it: the scheduler asks every minute, so a restart at 07:00 neither skips nor repeats it.
*/

/** When the digest goes out, "HH:mm" local time; "off" sends none. */
export function digestTime() {
  return env.get('DIGEST_AT', '07:00')
}

const stamp = (time: DateTime) => time.toFormat('yyyy-MM-dd HH:mm:ss')

/** Yesterday's figures (the day before `now`, local time). */
export async function digestFigures(now: DateTime) {
  const day = now.minus({ days: 1 }).startOf('day')
  const [from, to] = [stamp(day), stamp(day.endOf('day'))]
  const count = async (query: ReturnType<typeof db.from>) => Number((await query.count('* as n'))[0].n)
  const [begun, ended, pkn, waiting, failedJobs, checkFailures] = await Promise.all([
    count(db.from('proctoring_sessions').whereBetween('started_at', [from, to])),
    count(db.from('proctoring_sessions').whereBetween('ended_at', [from, to])),
    count(db.from('proctoring_sessions').whereBetween('ended_at', [from, to]).where('end_reason', 'violation_limit')),
    count(db.from('proctoring_sessions').whereIn('status', ['finished', 'stopped']).where('decision', 'none').where('archived', false)),
    count(db.from('jobs').where('status', 'failed').whereBetween('updated_at', [from, to])),
    db
      .from('connection_checks')
      .where('passed', false)
      .whereNotNull('error_code')
      .whereBetween('created_at', [from, to])
      .groupBy('error_code')
      .select('error_code as code')
      .count('* as n')
      .orderBy('n', 'desc'),
  ])
  return {
    day: day.toISODate()!,
    begun,
    ended,
    pkn,
    waiting,
    failedJobs,
    checkFailures: checkFailures.map((row: any) => ({ code: String(row.code), n: Number(row.n) })),
  }
}

type Figures = Awaited<ReturnType<typeof digestFigures>>

/** The digest's text in one language. */
export function digestText(figures: Figures, locale: string) {
  const i18n = i18nManager.locale(locale)
  const t = (key: string, params?: Record<string, unknown>) => i18n.t(`messages.digest.${key}`, params)
  const lines = [
    t('intro', { day: DateTime.fromISO(figures.day).toFormat('dd.MM.yyyy') }),
    '',
    `${t('begun')}: ${figures.begun}`,
    `${t('ended')}: ${figures.ended}`,
    `${t('pkn')}: ${figures.pkn}`,
    `${t('waiting')}: ${figures.waiting}`,
    `${t('failed_jobs')}: ${figures.failedJobs}`,
    '',
    `${t('check_failures')}:`,
    ...(figures.checkFailures.length
      ? figures.checkFailures.map((row) => `  - ${i18n.t(`messages.statistics.errors.${row.code}`)}: ${row.n}`)
      : [`  ${t('none')}`]),
    '',
    `${t('open')}: ${env.get('APP_URL')}/staff/results?decision=none&status=finished`,
  ]
  return { subject: t('subject', { day: DateTime.fromISO(figures.day).toFormat('dd.MM.yyyy') }), text: lines.join('\n') }
}

/**
 * Run by the scheduler every minute: from DIGEST_AT on, queues the day's digest for every active
 * admin with an address who has not had it yet today. Returns how many were queued.
 */
export async function sendDailyDigest(now: DateTime = DateTime.now()) {
  const at = digestTime()
  if (at === 'off' || !/^\d{2}:\d{2}$/.test(at)) return 0
  const [hour, minute] = at.split(':').map(Number)
  if (now < now.startOf('day').set({ hour, minute })) return 0
  if (!(await mailConfigured())) return 0
  const admins = await db.from('users').where({ role: 'admin', active: true }).whereNotNull('email').select('id', 'email', 'locale', 'full_name')
  if (!admins.length) return 0
  const today = now.toISODate()!
  /* Once per admin and day: the digest's own marker in the outbox. */
  const sent = new Set(
    (await db.from('outbox').where('kind', 'digest').where('subject', 'like', `%[${today}]`).select('to_address')).map((row: any) => row.to_address)
  )
  const due = admins.filter((admin: any) => !sent.has(admin.email))
  if (!due.length) return 0
  const figures = await digestFigures(now)
  for (const admin of due) {
    const { subject, text } = digestText(figures, admin.locale ?? 'ru')
    await queueMail({ to: admin.email, subject: `${subject} [${today}]`, text, kind: 'digest', language: admin.locale ?? 'ru' })
  }
  await recordAction(SYSTEM_ACTOR, { action: 'mail.digest', details: { day: figures.day, to: due.map((admin: any) => admin.email) } })
  logger.info({ day: figures.day, admins: due.length }, 'daily digest queued')
  return due.length
}
