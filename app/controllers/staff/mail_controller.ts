import type { HttpContext } from '@adonisjs/core/http'
import { errors as vineErrors } from '@vinejs/vine'
import i18nManager from '@adonisjs/i18n/services/main'
import { DateTime } from 'luxon'
import env from '#start/env'
import AppError from '#exceptions/app_error'
import OutboxMessage from '#models/outbox_message'
import { TLS_MODES } from '#models/mail_setting'
import { recordAction } from '#actions/audit/record_action'
import { staffActor } from '#actions/candidates/staff_actor'
import { saveMailSettings } from '#actions/mail/mail_settings'
import { currentMailSettings, deliverNow, queueMail, splitMailError } from '#services/mail/outbox'
import { validateForm } from '#validators/request_input'
import { mailSettingsValidator, testMailValidator } from '#validators/mail'

const OUTBOX_ROWS = 100

function isPlainForm(ctx: HttpContext) {
  return !ctx.request.header('hx-request') && ctx.request.accepts(['html', 'json']) === 'html'
}

/** Which fields a validation error names, with the rule that failed. */
function fieldsOf(error: InstanceType<typeof vineErrors.E_VALIDATION_ERROR>) {
  const fields: Record<string, string> = {}
  for (const message of error.messages as { field: string; rule: string }[]) fields[String(message.field).split('.')[0]] ??= message.rule
  return fields
}

const text = (value: unknown, max: number) => (typeof value === 'string' ? value.slice(0, max) : '')

/**
 * E-mail (admins, README "E-mail"): the SMTP server's settings, a test e-mail, and the outbox
 * log (newest first, each message's status, tries and the last error in words).
 */
export default class MailController {
  private async page(ctx: HttpContext, extra: { form?: Record<string, unknown>; fieldErrors?: Record<string, string>; testForm?: { to: string }; testErrors?: Record<string, string> } = {}) {
    const settings = await currentMailSettings()
    const messages = await OutboxMessage.query().orderBy('id', 'desc').limit(OUTBOX_ROWS)
    const form = extra.form ?? {
      host: settings?.host ?? '',
      port: settings?.port ?? 587,
      tlsMode: settings?.tlsMode ?? 'starttls',
      username: settings?.username ?? '',
      fromAddress: settings?.fromAddress ?? '',
      fromName: settings?.fromName ?? '',
    }
    return ctx.view.render('pages/staff/mail', {
      settings,
      hasPassword: Boolean(settings?.password),
      form,
      tlsModes: TLS_MODES,
      fieldErrors: extra.fieldErrors ?? {},
      testForm: extra.testForm ?? { to: ctx.auth.use('web').user!.email },
      testErrors: extra.testErrors ?? {},
      messages: messages.map((message) => ({ message, error: splitMailError(message.lastError), nextTry: message.nextTryAt ? DateTime.fromMillis(message.nextTryAt) : null })),
      notice: ctx.session?.flashMessages.get('mailNotice') ?? null,
      testOutcome: ctx.session?.flashMessages.get('mailTest') ?? null,
    })
  }

  /** GET /staff/mail */
  async index(ctx: HttpContext) {
    return this.page(ctx)
  }

  /** POST /staff/mail: the SMTP settings (the password left empty stays as it is). */
  async update(ctx: HttpContext) {
    const { request, response, session } = ctx
    let fields
    try {
      fields = await validateForm(request, mailSettingsValidator)
    } catch (error) {
      if (!(error instanceof vineErrors.E_VALIDATION_ERROR) || !isPlainForm(ctx)) throw error
      const body = request.body()
      response.status(422)
      return this.page(ctx, {
        form: {
          host: text(body.host, 253),
          port: text(body.port, 10),
          tlsMode: text(body.tlsMode, 10),
          username: text(body.username, 254),
          fromAddress: text(body.fromAddress, 254),
          fromName: text(body.fromName, 200),
        },
        fieldErrors: fieldsOf(error),
      })
    }
    await saveMailSettings(staffActor(ctx.auth.use('web').user!), fields, request.ip())
    if (!isPlainForm(ctx)) return response.ok({ saved: true })
    session.flash('mailNotice', 'saved')
    return response.redirect('/staff/mail')
  }

  /** POST /staff/mail/test: a test e-mail to the address typed, sent at once; its outcome shown. */
  async test(ctx: HttpContext) {
    const { request, response, session } = ctx
    let fields
    try {
      fields = await validateForm(request, testMailValidator)
    } catch (error) {
      if (!(error instanceof vineErrors.E_VALIDATION_ERROR) || !isPlainForm(ctx)) throw error
      response.status(422)
      return this.page(ctx, { testForm: { to: text(request.body().to, 254) }, testErrors: fieldsOf(error) })
    }
    if (!(await currentMailSettings())) throw AppError.conflict('MAIL_NOT_CONFIGURED')
    const user = ctx.auth.use('web').user!
    const language = ctx.i18n.locale
    const t = i18nManager.locale(language)
    const queued = await queueMail({
      to: fields.to,
      subject: t.t('messages.mail.test_subject'),
      text: t.t('messages.mail.test_body', { name: user.fullName, url: env.get('APP_URL') }),
      kind: 'test',
      language,
      createdBy: user.id,
    })
    const row = await deliverNow(queued.id)
    await recordAction(staffActor(user), {
      action: 'mail.test',
      subjectType: 'outbox',
      subjectId: row.id,
      details: { to: fields.to, status: row.status, error: row.lastError },
      ip: request.ip(),
    })
    if (!isPlainForm(ctx)) return response.ok({ id: row.id, status: row.status, error: splitMailError(row.lastError)?.code ?? null })
    session.flash('mailTest', { to: fields.to, status: row.status, code: splitMailError(row.lastError)?.code ?? null })
    return response.redirect('/staff/mail#title-test')
  }
}
