import type { HttpContext } from '@adonisjs/core/http'
import { errors as vineErrors } from '@vinejs/vine'
import Exam from '#models/exam'
import Discipline from '#models/discipline'
import AppError from '#exceptions/app_error'
import type { Actor } from '#actions/audit/record_action'
import { BROWSER_EVENTS } from '#actions/sessions/record_event'
import { DEFAULT_WEIGHTS } from '#actions/reviews/compute_credibility'
import { saveExam } from '#actions/exams/save_exam'
import { listExams } from '#actions/exams/list_exams'
import { deleteExam, sessionCount, setExamArchived } from '#actions/exams/delete_exam'
import { idParam, validateForm, validateQuery } from '#validators/request_input'
import { RULE_ITEMS, WEIGHT_KINDS, examArchiveValidator, examFormValidator, examListValidator } from '#validators/exams'

function actorOf(ctx: HttpContext): Actor {
  const user = ctx.auth.use('web').user!
  return { userId: user.id, name: user.fullName, iin: user.iin, role: user.role }
}

type FormValues = Record<string, any>

const asList = (value: unknown) => (Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : [])
const localTime = (at: Exam['opensAt']) => (at ? at.toFormat("yyyy-MM-dd'T'HH:mm") : '')

/** A new exam's form: the usual settings (every browser event counted, the default weights). */
function defaultValues(): FormValues {
  return {
    titleKk: '', titleRu: '', titleEn: '', disciplineId: '', durationMinutes: 60, opensAt: '', closesAt: '', examUrl: '',
    violationLimit: 0, countedKinds: [...BROWSER_EVENTS],
    weights: Object.fromEntries(WEIGHT_KINDS.map((kind) => [kind, DEFAULT_WEIGHTS[kind]])),
    passThreshold: 70, allowed: [], forbidden: ['phone', 'books', 'notes', 'other_people', 'headphones', 'leaving'],
    rulesKk: '', rulesRu: '', rulesEn: '', reconnectWindowMinutes: 5,
    requiresScreen: true, requiresPhone: false, requiresFace: true, requiresDocument: true,
  }
}

/** An exam's settings as the form shows them. */
function valuesOf(exam: Exam): FormValues {
  return {
    titleKk: exam.titleKk ?? (exam.titleRu || exam.titleEn ? '' : exam.title), titleRu: exam.titleRu ?? '', titleEn: exam.titleEn ?? '',
    disciplineId: exam.disciplineId ?? '', durationMinutes: exam.durationMinutes,
    opensAt: localTime(exam.opensAt), closesAt: localTime(exam.closesAt), examUrl: exam.examUrl ?? '',
    violationLimit: exam.violationLimit, countedKinds: exam.countedKinds ?? [...BROWSER_EVENTS],
    weights: Object.fromEntries(WEIGHT_KINDS.map((kind) => [kind, exam.weights[kind] ?? DEFAULT_WEIGHTS[kind]])),
    passThreshold: exam.passThreshold, allowed: exam.rules.allowed ?? [], forbidden: exam.rules.forbidden ?? [],
    rulesKk: exam.rules.text?.kk ?? '', rulesRu: exam.rules.text?.ru ?? '', rulesEn: exam.rules.text?.en ?? '',
    reconnectWindowMinutes: Math.max(1, Math.round(exam.reconnectWindowSeconds / 60)),
    requiresScreen: exam.requiresScreen, requiresPhone: exam.requiresPhone,
    requiresFace: exam.requiresFace ?? true, requiresDocument: exam.requiresDocument ?? true,
  }
}

/** What the admin sent, kept for the form shown again with its errors. */
function sentValues(body: Record<string, any>): FormValues {
  const text = (key: string) => (typeof body[key] === 'string' ? body[key] : '')
  const weights = typeof body.weights === 'object' && body.weights !== null ? body.weights : {}
  return {
    ...Object.fromEntries(
      ['titleKk', 'titleRu', 'titleEn', 'disciplineId', 'durationMinutes', 'opensAt', 'closesAt', 'examUrl', 'violationLimit',
        'passThreshold', 'rulesKk', 'rulesRu', 'rulesEn', 'reconnectWindowMinutes'].map((key) => [key, text(key)])
    ),
    countedKinds: asList(body.countedKinds),
    weights: Object.fromEntries(WEIGHT_KINDS.map((kind) => [kind, typeof weights[kind] === 'string' ? weights[kind] : ''])),
    allowed: asList(body.allowed),
    forbidden: asList(body.forbidden),
    requiresScreen: Boolean(body.requiresScreen), requiresPhone: Boolean(body.requiresPhone),
    requiresFace: Boolean(body.requiresFace), requiresDocument: Boolean(body.requiresDocument),
  }
}

/** Validation messages as one translated line per form field (`weights.copy` keeps its kind). */
function fieldErrors(error: InstanceType<typeof vineErrors.E_VALIDATION_ERROR>, i18n: HttpContext['i18n']) {
  const errors: Record<string, string> = {}
  for (const message of error.messages as { field: string; rule: string }[]) {
    const parts = message.field.split('.')
    const field = parts[0] === 'weights' && parts[1] ? `weights.${parts[1]}` : parts[0]
    if (errors[field]) continue
    const rule = field.startsWith('title') && ['required', 'minLength'].includes(message.rule) ? 'title_required' : message.rule
    errors[field] = i18n.t(`messages.exams.errors.${rule}`, {}, i18n.t('errors.FIELD_INVALID'))
  }
  return errors
}

/** Admins set up exams (P8): the list with its sessions counted, the form, archive and delete. */
export default class ExamsController {
  private async findExam(params: Record<string, unknown>) {
    const id = idParam(params.id)
    const exam = id ? await Exam.find(id) : null
    if (!exam) throw AppError.notFound('EXAM_NOT_FOUND')
    return exam
  }

  private async renderForm(ctx: HttpContext, exam: Exam | null, values: FormValues, errors: Record<string, string> = {}) {
    const disciplines = await Discipline.query().orderBy('name')
    return ctx.view.render('pages/staff/exams_form', {
      exam, values, errors, disciplines, kinds: WEIGHT_KINDS, browserKinds: BROWSER_EVENTS, ruleItems: RULE_ITEMS,
      hasErrors: Object.keys(errors).length > 0,
    })
  }

  /** Saves the form; a refused one is shown again (422) with each error next to its field. */
  private async save(ctx: HttpContext, exam: Exam | null) {
    try {
      const form = await validateForm(ctx.request, examFormValidator)
      const saved = await saveExam(actorOf(ctx), form, ctx.request.ip(), exam ?? undefined)
      ctx.session.flash('notice', ctx.i18n.t(exam ? 'messages.exams.updated' : 'messages.exams.created', { title: saved.exam.titleIn(ctx.i18n.locale) }))
      return ctx.response.redirect('/staff/exams')
    } catch (error) {
      if (!(error instanceof vineErrors.E_VALIDATION_ERROR) || ctx.request.header('hx-request') || ctx.request.accepts(['html', 'json']) === 'json') throw error
      const { _csrf, ...body } = ctx.request.body()
      ctx.response.status(422)
      return this.renderForm(ctx, exam, sentValues(body), fieldErrors(error, ctx.i18n))
    }
  }

  async index(ctx: HttpContext) {
    const filters = await validateQuery(ctx.request, examListValidator)
    const withArchived = Boolean(filters.archived)
    const { exams, archivedCount } = await listExams({ withArchived })
    return ctx.view.render('pages/staff/exams', { exams, withArchived, archivedCount, language: ctx.i18n.locale })
  }

  async create(ctx: HttpContext) {
    return this.renderForm(ctx, null, defaultValues())
  }

  async store(ctx: HttpContext) {
    return this.save(ctx, null)
  }

  async edit(ctx: HttpContext) {
    const exam = await this.findExam(ctx.params)
    return this.renderForm(ctx, exam, valuesOf(exam))
  }

  async update(ctx: HttpContext) {
    return this.save(ctx, await this.findExam(ctx.params))
  }

  /** Asks before deleting; an exam with sessions is offered the archive instead. */
  async confirmDelete(ctx: HttpContext) {
    const exam = await this.findExam(ctx.params)
    return ctx.view.render('pages/staff/exams_delete', { exam, sessions: await sessionCount(exam.id), language: ctx.i18n.locale })
  }

  async destroy(ctx: HttpContext) {
    const exam = await this.findExam(ctx.params)
    await deleteExam(actorOf(ctx), exam, ctx.request.ip())
    ctx.session.flash('notice', ctx.i18n.t('messages.exams.deleted', { title: exam.titleIn(ctx.i18n.locale) }))
    return ctx.response.redirect('/staff/exams')
  }

  async archive(ctx: HttpContext) {
    const exam = await this.findExam(ctx.params)
    const { archived } = await validateForm(ctx.request, examArchiveValidator)
    await setExamArchived(actorOf(ctx), exam, archived, ctx.request.ip())
    ctx.session.flash('notice', ctx.i18n.t(archived ? 'messages.exams.archived_done' : 'messages.exams.unarchived_done', { title: exam.titleIn(ctx.i18n.locale) }))
    return ctx.response.redirect('/staff/exams')
  }
}
