import limiter from '@adonisjs/limiter/services/main'
import { errors as limiterErrors } from '@adonisjs/limiter'
import i18nManager from '@adonisjs/i18n/services/main'
import User from '#models/user'
import { loginLimits } from '#config/limiter'
import { recordAction, type Actor } from '#actions/audit/record_action'
import { passwordLinkFor } from '#actions/staff_users/password_link'
import { mailConfigured, queueMail } from '#services/mail/outbox'

/** How long a reset link sent by e-mail stays valid. */
export const PASSWORD_RESET_MINUTES = 60
/** Reset e-mails for one address within 15 minutes; more are refused (no mail flood to a colleague). */
const PER_ACCOUNT = { requests: 3, duration: 15 * 60 }

/**
 * "Forgot password" (P1). Throttled like the login (per client address and per e-mail typed,
 * counted before anything is looked up); then, for an active staff account and with e-mail set
 * up, a signed, single-use link (the same kind an admin issues: it names the password it
 * replaces, so it works once) valid for PASSWORD_RESET_MINUTES is queued in the outbox in the
 * user's language. The caller answers the same whether or not anything was sent; the archive
 * (auth.password_reset) keeps which it was.
 */
export async function requestPasswordReset(email: string, ip: string): Promise<{ retryAfterSeconds?: number }> {
  const anonymous: Actor = { userId: null, name: email, role: 'anonymous' }
  const stores = [
    ['address', limiter.use({ requests: loginLimits.perAddress, duration: 60, blockDuration: loginLimits.blockMinutes * 60 }), `reset:address:${ip}`],
    ['account', limiter.use({ ...PER_ACCOUNT, blockDuration: PER_ACCOUNT.duration }), `reset:account:${email}`],
  ] as const
  for (const [scope, store, key] of stores) {
    try {
      await store.consume(key)
    } catch (error) {
      if (!(error instanceof limiterErrors.E_TOO_MANY_REQUESTS)) throw error
      const { consumed, limit, availableIn } = error.response
      if (consumed === limit + 1) await recordAction(anonymous, { action: 'auth.throttled', details: { scope, form: 'password_reset', retryAfterSeconds: availableIn }, ip })
      return { retryAfterSeconds: Math.max(1, availableIn) }
    }
  }

  const user = await User.findBy('email', email)
  const reason = !user ? 'unknown_account' : !user.active ? 'account_disabled' : !(await mailConfigured()) ? 'mail_not_configured' : null
  if (reason || !user) {
    await recordAction(anonymous, { action: 'auth.password_reset', subjectType: user ? 'user' : undefined, subjectId: user?.id, details: { sent: false, reason }, ip })
    return {}
  }
  const link = passwordLinkFor(user, PASSWORD_RESET_MINUTES)
  const language = i18nManager.supportedLocales().includes(user.locale) ? user.locale : i18nManager.defaultLocale
  const t = i18nManager.locale(language)
  const queued = await queueMail({
    to: user.email,
    subject: t.t('messages.password_reset.mail_subject'),
    text: t.t('messages.password_reset.mail_body', { name: user.fullName, url: link.url, minutes: PASSWORD_RESET_MINUTES }),
    kind: 'password_reset',
    language,
    createdBy: null,
  })
  await recordAction(anonymous, {
    action: 'auth.password_reset',
    subjectType: 'user',
    subjectId: user.id,
    details: { sent: true, outboxId: queued.id, expiresAt: link.expiresAt },
    ip,
  })
  return {}
}
