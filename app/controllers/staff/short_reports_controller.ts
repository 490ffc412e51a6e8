import type { HttpContext } from '@adonisjs/core/http'
import ProctoringSession from '#models/proctoring_session'
import AppError from '#exceptions/app_error'
import { recordAction } from '#actions/audit/record_action'
import { assertSessionInScope } from '#services/staff_scope'
import { shortReportFacts, shortReportOf, shortReportPdf, shortReportRow } from '#actions/reports/short_report'
import { errors as vineErrors } from '@vinejs/vine'
import { mailConfigured, queueMail } from '#services/mail/outbox'
import { validateForm } from '#validators/request_input'
import { reportMailValidator } from '#validators/mail'

/** A file name from the candidate's name: letters (any script), digits and dashes. */
function fileName(candidate: string) {
  const base = candidate.normalize('NFC').replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '').slice(0, 60) || 'session'
  return `${base}.pdf`
}

/**
 * The short report (P5): one page a proctor hands on or files, as a PDF and as a page made for
 * printing, in the viewer's language. Every download and every print view is archived.
 */
export default class ShortReportsController {
  private async load(ctx: HttpContext) {
    const session = await ProctoringSession.findBy('publicId', String(ctx.params.id))
    if (!session) throw AppError.notFound('SESSION_NOT_FOUND')
    await assertSessionInScope(ctx.auth.use('web').user!, session)
    return session
  }

  private actor(ctx: HttpContext) {
    const user = ctx.auth.use('web').user!
    return { userId: user.id, name: user.fullName, iin: user.iin, role: user.role }
  }

  /** GET /staff/sessions/:id/short-report.pdf */
  async pdf(ctx: HttpContext) {
    const session = await this.load(ctx)
    const t = (key: string, params?: Record<string, unknown>) => ctx.i18n.t(key, params)
    const report = await shortReportOf(session, ctx.i18n.locale)
    const pdf = await shortReportPdf(report, t)
    await recordAction(this.actor(ctx), {
      action: 'report.pdf',
      subjectType: 'session',
      subjectId: session.publicId,
      details: { language: ctx.i18n.locale, bytes: pdf.length },
      ip: ctx.request.ip(),
    })
    const name = fileName(report.candidate)
    ctx.response.header('Content-Type', 'application/pdf')
    ctx.response.header('Content-Disposition', `attachment; filename="${name.replace(/[^\x20-\x7e]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`)
    ctx.response.header('Cache-Control', 'private, no-store')
    return ctx.response.send(pdf)
  }

  /** GET /staff/sessions/:id/short-report: the same report as a page for the browser's print. */
  async print(ctx: HttpContext) {
    const session = await this.load(ctx)
    const report = await shortReportOf(session, ctx.i18n.locale)
    await recordAction(this.actor(ctx), {
      action: 'report.print',
      subjectType: 'session',
      subjectId: session.publicId,
      details: { language: ctx.i18n.locale },
      ip: ctx.request.ip(),
    })
    return this.render(ctx, session, report, {})
  }

  private async render(ctx: HttpContext, session: ProctoringSession, report: Awaited<ReturnType<typeof shortReportOf>>, mail: { to?: string; errors?: Record<string, string> }) {
    const t = (key: string, params?: Record<string, unknown>) => ctx.i18n.t(key, params)
    return ctx.view.render('pages/staff/short_report', {
      session,
      report,
      facts: shortReportFacts(report, t),
      rows: report.rows.map((row) => shortReportRow(row, t)),
      mailReady: await mailConfigured(),
      mailTo: mail.to ?? '',
      mailErrors: mail.errors ?? {},
      mailQueued: ctx.session?.flashMessages.get('reportMailed') ?? null,
    })
  }

  /**
   * POST /staff/sessions/:id/short-report/email: the report's PDF, in the viewer's language, to
   * the address typed, through the outbox (sent by the scheduler, retried); archived (report.email).
   */
  async email(ctx: HttpContext) {
    const session = await this.load(ctx)
    let fields
    try {
      fields = await validateForm(ctx.request, reportMailValidator)
    } catch (error) {
      if (!(error instanceof vineErrors.E_VALIDATION_ERROR) || ctx.request.header('hx-request') || ctx.request.accepts(['html', 'json']) !== 'html') throw error
      const errors: Record<string, string> = {}
      for (const message of error.messages as { field: string; rule: string }[]) errors[String(message.field)] ??= message.rule
      const body = ctx.request.body()
      ctx.response.status(422)
      return this.render(ctx, session, await shortReportOf(session, ctx.i18n.locale), { to: typeof body.to === 'string' ? body.to.slice(0, 254) : '', errors })
    }
    if (!(await mailConfigured())) throw AppError.conflict('MAIL_NOT_CONFIGURED')
    const t = (key: string, params?: Record<string, unknown>) => ctx.i18n.t(key, params)
    const report = await shortReportOf(session, ctx.i18n.locale)
    const pdf = await shortReportPdf(report, t)
    const user = ctx.auth.use('web').user!
    const queued = await queueMail({
      to: fields.to,
      subject: t('messages.mail.report_subject', { candidate: report.candidate, exam: report.exam }),
      text: t('messages.mail.report_body', { candidate: report.candidate, exam: report.exam, name: user.fullName }),
      kind: 'short_report',
      language: ctx.i18n.locale,
      createdBy: user.id,
      attachment: { name: fileName(report.candidate), data: pdf },
    })
    await recordAction(this.actor(ctx), {
      action: 'report.email',
      subjectType: 'session',
      subjectId: session.publicId,
      details: { to: fields.to, language: ctx.i18n.locale, bytes: pdf.length, outboxId: queued.id },
      ip: ctx.request.ip(),
    })
    if (ctx.request.accepts(['html', 'json']) !== 'html') return ctx.response.created({ outboxId: queued.id })
    ctx.session.flash('reportMailed', fields.to)
    return ctx.response.redirect(`/staff/sessions/${session.publicId}/short-report#title-email`)
  }
}
