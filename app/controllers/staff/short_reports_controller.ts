import type { HttpContext } from '@adonisjs/core/http'
import ProctoringSession from '#models/proctoring_session'
import AppError from '#exceptions/app_error'
import { recordAction } from '#actions/audit/record_action'
import { assertSessionInScope } from '#services/staff_scope'
import { shortReportFacts, shortReportOf, shortReportPdf, shortReportRow } from '#actions/reports/short_report'

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
    const t = (key: string, params?: Record<string, unknown>) => ctx.i18n.t(key, params)
    const report = await shortReportOf(session, ctx.i18n.locale)
    await recordAction(this.actor(ctx), {
      action: 'report.print',
      subjectType: 'session',
      subjectId: session.publicId,
      details: { language: ctx.i18n.locale },
      ip: ctx.request.ip(),
    })
    return ctx.view.render('pages/staff/short_report', {
      session,
      report,
      facts: shortReportFacts(report, t),
      rows: report.rows.map((row) => shortReportRow(row, t)),
    })
  }
}
