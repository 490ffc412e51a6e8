import type { HttpContext } from '@adonisjs/core/http'
import { errors as vineErrors } from '@vinejs/vine'
import { DateTime } from 'luxon'
import Exam from '#models/exam'
import Candidate from '#models/candidate'
import Group from '#models/group'
import IssuedLink from '#models/issued_link'
import ProctoringSession from '#models/proctoring_session'
import AppError from '#exceptions/app_error'
import type { Actor } from '#actions/audit/record_action'
import { issueLinks } from '#actions/links/issue_links'
import { revokeLink } from '#actions/links/revoke_link'
import { grantRetake } from '#actions/links/grant_retake'
import { listLinks } from '#actions/links/list_links'
import { mailLinks, mailStatusOf } from '#actions/links/mail_links'
import { linksCsv, linksXlsx } from '#actions/links/export_links'
import { idParam, validateForm, validateQuery } from '#validators/request_input'
import { fieldError, issueLinksValidator, linksFilterValidator } from '#validators/links'

function actorOf(ctx: HttpContext): Actor {
  const user = ctx.auth.use('web').user!
  return { userId: user.id, name: user.fullName, iin: user.iin, role: user.role }
}

/** A plain browser form post (not HTMX, not an API client): it gets the page back with its errors. */
function isPlainForm(ctx: HttpContext) {
  return !ctx.request.header('hx-request') && ctx.request.accepts(['html', 'json']) === 'html'
}

/** Which fields a validation error names (an array's items count for the array). */
function fieldsOf(error: InstanceType<typeof vineErrors.E_VALIDATION_ERROR>) {
  const fields: Record<string, boolean> = {}
  for (const message of error.messages as { field: string }[]) fields[String(message.field).split('.')[0]] = true
  return fields
}

type FormValues = { examIds: number[]; groupId: number | null; candidateIds: number[]; hours: number }

/** What the form sent, as numbers, to keep the form filled in when it comes back with errors. */
function sentValues(body: Record<string, unknown>): FormValues {
  const list = (value: unknown) => (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(Number).filter(Number.isInteger)
  const hours = Number(body.hours)
  return {
    examIds: list(body.examIds),
    groupId: Number.isInteger(Number(body.groupId)) && body.groupId ? Number(body.groupId) : null,
    candidateIds: list(body.candidateIds),
    hours: Number.isInteger(hours) && hours > 0 ? hours : 72,
  }
}

const EMPTY_FORM: FormValues = { examIds: [], groupId: null, candidateIds: [], hours: 72 }

/**
 * Entry links (for systems without LTI): admins issue signed links in bulk for an exam and a
 * group or a selection of candidates, list and download them, revoke one, grant a retake.
 */
export default class LinksController {
  private async page(ctx: HttpContext, extra: { form?: FormValues; errors?: Record<string, boolean>; examFilter?: number | null } = {}) {
    const [exams, groups, candidates] = await Promise.all([
      Exam.query().orderBy('title'),
      Group.query().orderBy('name'),
      Candidate.query().preload('group').orderBy('fullName'),
    ])
    const examFilter = extra.examFilter ?? null
    const rows = await listLinks({ examId: examFilter })
    const mailStatus = await mailStatusOf(rows.map((row) => row.link.mailedOutboxId ?? 0))
    return ctx.view.render('pages/staff/links', {
      mailStatus,
      mailedCounts: ctx.session?.flashMessages.get('linksMailed') ?? null,
      exams,
      /* Archived exams still filter the issued links, but no new link is issued for them. */
      issuableExams: exams.filter((exam) => !exam.archived),
      groups,
      candidates,
      rows,
      examFilter,
      form: extra.form ?? EMPTY_FORM,
      fieldErrors: extra.errors ?? {},
      issuedCount: ctx.session?.flashMessages.get('linksIssued') ?? null,
      notice: ctx.session?.flashMessages.get('linksNotice') ?? null,
      now: DateTime.now(),
    })
  }

  async index(ctx: HttpContext) {
    const { exam } = await validateQuery(ctx.request, linksFilterValidator)
    return this.page(ctx, { examFilter: exam ?? null })
  }

  async store(ctx: HttpContext) {
    const { request, response, session } = ctx
    let fields
    try {
      fields = await validateForm(request, issueLinksValidator)
      if (!fields.groupId && !fields.candidateIds?.length) {
        throw fieldError('candidateIds', 'required', 'Pick a group or candidates')
      }
    } catch (error) {
      if (!(error instanceof vineErrors.E_VALIDATION_ERROR) || !isPlainForm(ctx)) throw error
      response.status(422)
      return this.page(ctx, { form: sentValues(request.body()), errors: fieldsOf(error) })
    }
    const fromGroup = fields.groupId
      ? (await Candidate.query().where('groupId', fields.groupId).select('id')).map((c) => c.id)
      : []
    const candidateIds = [...new Set([...fromGroup, ...(fields.candidateIds ?? [])])]
    if (candidateIds.length === 0) {
      const error = fieldError('groupId', 'empty', 'The group has no candidates')
      if (!isPlainForm(ctx)) throw error
      response.status(422)
      return this.page(ctx, { form: sentValues(request.body()), errors: { groupId: true, groupEmpty: true } })
    }
    const issued = await issueLinks({ examIds: fields.examIds, candidateIds, hours: fields.hours }, actorOf(ctx), request.ip())
    if (!isPlainForm(ctx)) return response.created({ links: issued.map(({ link, url }) => ({ id: link.id, candidateId: link.candidateId, url })) })
    session.flash('linksIssued', issued.length)
    return response.redirect('/staff/links')
  }

  private async findLink(ctx: HttpContext) {
    const id = idParam(ctx.params.id)
    const link = id ? await IssuedLink.find(id) : null
    if (!link) throw AppError.notFound('LINK_NOT_FOUND')
    return link
  }

  /** POST /staff/links/email: the listed links (of one exam, or all) to their candidates' addresses. */
  async email(ctx: HttpContext) {
    const { exam } = await validateForm(ctx.request, linksFilterValidator)
    const counts = await mailLinks({ examId: exam ?? null }, actorOf(ctx), ctx.request.ip())
    if (!isPlainForm(ctx)) return ctx.response.ok(counts)
    ctx.session.flash('linksMailed', counts)
    return ctx.response.redirect(exam ? `/staff/links?exam=${exam}` : '/staff/links')
  }

  async revoke(ctx: HttpContext) {
    const link = await this.findLink(ctx)
    await revokeLink(link.id, actorOf(ctx), ctx.request.ip())
    if (!isPlainForm(ctx)) return ctx.response.ok({ revoked: link.id })
    ctx.session.flash('linksNotice', 'revoked')
    return ctx.response.redirect('/staff/links')
  }

  async retake(ctx: HttpContext) {
    const link = await this.findLink(ctx)
    const { session } = await grantRetake(link.examId, link.candidateId, actorOf(ctx), ctx.request.ip())
    if (!isPlainForm(ctx)) return ctx.response.created({ session: session.publicId, sitting: session.sitting })
    ctx.session.flash('linksNotice', 'retake')
    return ctx.response.redirect('/staff/links')
  }

  /** A retake from the results list (a session that came through LTI has no issued link). */
  async retakeSession(ctx: HttpContext) {
    const found = await ProctoringSession.findBy('publicId', String(ctx.params.id))
    if (!found) throw AppError.notFound('SESSION_NOT_FOUND')
    const { session } = await grantRetake(found.examId, found.candidateId, actorOf(ctx), ctx.request.ip())
    if (!isPlainForm(ctx)) return ctx.response.created({ session: session.publicId, sitting: session.sitting })
    return ctx.response.redirect('/staff/results')
  }

  private async download(ctx: HttpContext, format: 'xlsx' | 'csv') {
    const { exam } = await validateQuery(ctx.request, linksFilterValidator)
    const rows = await listLinks({ examId: exam ?? null })
    const t = (key: string) => ctx.i18n.t(`messages.links.${key}`)
    const headings = {
      candidate: t('col_candidate'),
      group: t('col_group'),
      exam: t('col_exam'),
      expires: t('col_expires'),
      opened: t('col_opened'),
      status: t('col_status'),
      link: t('col_link'),
    }
    const statusText = (status: string) =>
      status === 'revoked' ? t('revoked') : status === 'none' ? t('no_session') : ctx.i18n.t(`messages.status.${status}`)
    const name = `links-${DateTime.now().toFormat('yyyyLLdd-HHmm')}.${format}`
    ctx.response.header('Content-Disposition', `attachment; filename="${name}"`)
    ctx.response.header('Cache-Control', 'no-store')
    if (format === 'csv') {
      ctx.response.header('Content-Type', 'text/csv; charset=utf-8')
      return linksCsv(rows, headings, statusText, ctx.i18n.locale)
    }
    ctx.response.header('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    return linksXlsx(rows, headings, statusText, ctx.i18n.locale)
  }

  async xlsx(ctx: HttpContext) {
    return this.download(ctx, 'xlsx')
  }

  async csv(ctx: HttpContext) {
    return this.download(ctx, 'csv')
  }
}
