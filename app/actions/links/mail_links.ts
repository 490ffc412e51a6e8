import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import i18nManager from '@adonisjs/i18n/services/main'
import IssuedLink from '#models/issued_link'
import AppError from '#exceptions/app_error'
import { recordAction, type Actor } from '#actions/audit/record_action'
import { listLinks } from '#actions/links/list_links'
import { mailConfigured, queueMail } from '#services/mail/outbox'

/** The languages a link's message is written in, one after the other (a candidate's own is not known). */
const LETTER_LANGUAGES = ['kk', 'ru'] as const

export type MailedCounts = { queued: number; noAddress: number; alreadySent: number; notUsable: number }

/**
 * Links by e-mail (issue 11): every listed link (one exam, or all) that can still be opened and
 * was not sent yet goes to its candidate's address, one message each, in Kazakh and Russian,
 * queued in the outbox (sent and retried like any mail). What happened to each shows in the
 * links list; the sending is archived with the counts.
 */
export async function mailLinks(filter: { examId?: number | null }, actor: Actor, ip?: string): Promise<MailedCounts> {
  const now = DateTime.now()
  const counts: MailedCounts = { queued: 0, noAddress: 0, alreadySent: 0, notUsable: 0 }
  const sentIds: number[] = []
  const rows = await listLinks(filter)
  const toSend = rows.some(({ link }) => !link.revokedAt && link.expiresAt > now && !link.mailedOutboxId && link.candidate.email)
  if (toSend && !(await mailConfigured())) throw AppError.conflict('MAIL_NOT_CONFIGURED')
  for (const { link, url } of rows) {
    if (link.revokedAt || link.expiresAt <= now) counts.notUsable++
    else if (link.mailedOutboxId) counts.alreadySent++
    else if (!link.candidate.email) counts.noAddress++
    else {
      const parts = LETTER_LANGUAGES.map((language) => {
        const t = (key: string, params?: Record<string, unknown>) => i18nManager.locale(language).t(`messages.links_mail.${key}`, params)
        return {
          subject: t('subject', { exam: link.exam.titleIn(language) }),
          text: [
            t('greeting', { name: link.candidate.fullName }),
            '',
            t('body', { exam: link.exam.titleIn(language), until: link.expiresAt.toFormat('dd.MM.yyyy HH:mm') }),
            url,
            '',
            t('own'),
          ].join('\n'),
        }
      })
      const message = await queueMail({
        to: link.candidate.email,
        subject: parts.map((part) => part.subject).join(' / '),
        text: parts.map((part) => part.text).join('\n\n———\n\n'),
        kind: 'links',
        language: LETTER_LANGUAGES[0],
        createdBy: actor.userId,
      })
      await IssuedLink.query().where('id', link.id).update({ mailedOutboxId: message.id })
      sentIds.push(link.id)
      counts.queued++
    }
  }
  await recordAction(actor, { action: 'link.email', subjectType: filter.examId ? 'exam' : undefined, subjectId: filter.examId ?? undefined, details: { ...counts, linkIds: sentIds }, ip })
  return counts
}

/** Each link's message, for the list: queued, sent, failed (still tried), gave up; null when none was sent. */
export async function mailStatusOf(outboxIds: number[]) {
  const ids = outboxIds.filter(Boolean)
  const rows = ids.length ? await db.from('outbox').whereIn('id', ids).select('id', 'status') : []
  return new Map<number, string>(rows.map((row: any) => [Number(row.id), String(row.status)]))
}
