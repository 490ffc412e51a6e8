import type { HttpContext } from '@adonisjs/core/http'
import type { Infer } from '@vinejs/vine/types'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import { DECISIONS, SESSION_STATUSES } from '#models/proctoring_session'
import { validateQuery } from '#validators/request_input'
import { resultsFilterValidator } from '#validators/staff'
import { scopeOf } from '#services/staff_scope'
import env from '#start/env'
import AppError from '#exceptions/app_error'
import { sendDownload, XLSX_TYPE } from '#services/downloads'
import { recordAction } from '#actions/audit/record_action'
import { EXPORT_MAX_ROWS, exportRows, resultsXlsx, statementPdf } from '#actions/reviews/export_results'
import { listResults, listResultsByStudent, PAGE_SIZES, type ResultFilters, type ResultRow, type ResultSort } from '#actions/reviews/list_results'

/** The filter keys the page keeps in its URL, in this order (the state is bookmarkable). */
const STATE_KEYS = ['q', 'exam', 'from', 'to', 'group', 'discipline', 'status', 'cmin', 'cmax', 'decision', 'system', 'pkn', 'archive', 'group_by', 'sort', 'dir', 'size'] as const
type State = Partial<Record<(typeof STATE_KEYS)[number] | 'page', string>>

/** Filters that narrow the list (not the sort, grouping or page size): with one on, an empty list is "no matches". */
const NARROWING = ['q', 'exam', 'from', 'to', 'group', 'discipline', 'status', 'cmin', 'cmax', 'decision', 'system', 'pkn', 'archive'] as const

function urlOf(state: State) {
  const params = new URLSearchParams()
  for (const key of [...STATE_KEYS, 'page'] as const) {
    const value = state[key]
    if (value !== undefined && value !== '') params.set(key, value)
  }
  const query = params.toString()
  return query ? `/staff/results?${query}` : '/staff/results'
}

type ValidFilters = Infer<typeof resultsFilterValidator>

/** The list's filters from the validated query (the page and its export read them alike). */
function filtersOf(valid: ValidFilters): ResultFilters {
  return {
    q: valid.q,
    exam: valid.exam,
    from: valid.from,
    to: valid.to,
    group: valid.group,
    discipline: valid.discipline,
    status: valid.status,
    cmin: valid.cmin,
    cmax: valid.cmax,
    decision: valid.decision,
    system: valid.system,
    pkn: valid.pkn === '1' ? 1 : valid.pkn === '0' ? 0 : null,
    archive: valid.archive === '1',
    sort: valid.sort,
    dir: valid.dir,
    page: valid.page,
    size: valid.size ? Number(valid.size) : null,
  }
}

/** Credibility against the exam's pass threshold: red below it, amber within 10 points above, green. */
export function credibilityLevel(row: Pick<ResultRow, 'credibility' | 'passThreshold'>) {
  if (row.credibility === null) return 'none'
  if (row.credibility < row.passThreshold) return 'low'
  if (row.credibility < Math.min(100, row.passThreshold + 10)) return 'close'
  return 'good'
}

/**
 * The results page (seed 003 §2): every proctoring session with its 11 columns, every filter,
 * sort on each column, grouping by student, a page size; the whole state in the URL.
 */
export default class ResultsController {
  async index({ request, response, view, auth, i18n }: HttpContext) {
    const valid = await validateQuery(request, resultsFilterValidator)
    const user = auth.use('web').user!
    const scope = await scopeOf(user)
    const locale = i18n.locale

    /* The state as the URL carries it (valid values only, as text). */
    const state: State = {}
    for (const key of STATE_KEYS) {
      const value = valid[key]
      if (value !== undefined && value !== null && String(value).trim() !== '') state[key] = String(value).trim()
    }
    if (state.dir && !state.sort) delete state.dir
    if (state.size === String(PAGE_SIZES[0])) delete state.size
    const filters = filtersOf(valid)
    const grouped = valid.group_by === 'student'
    const result = grouped ? await listResultsByStudent(filters, scope, locale) : await listResults(filters, scope, locale)
    const sessions = grouped ? result.rows.flatMap((row: any) => row.sessions as ResultRow[]) : (result.rows as ResultRow[])

    /* A candidate who was granted a retake has several sittings of the exam: each is marked. */
    const candidateIds = [...new Set(sessions.map((s) => s.candidateId))]
    const laterSittings: { exam_id: number; candidate_id: number; sitting: number }[] = candidateIds.length
      ? await db.from('proctoring_sessions').whereIn('candidate_id', candidateIds).where('sitting', '>', 1).select('exam_id', 'candidate_id', 'sitting')
      : []
    const retaken = new Set(laterSittings.map((s) => `${s.exam_id}:${s.candidate_id}`))
    /* The latest sitting of each candidate and exam on the page: an admin may grant a retake from it once it has ended. */
    const latestSitting = new Map<string, number>()
    for (const s of laterSittings) {
      const key = `${s.exam_id}:${s.candidate_id}`
      latestSitting.set(key, Math.max(latestSitting.get(key) ?? 1, s.sitting))
    }

    const [groups, disciplines, systems] = await Promise.all([
      /* A proctor limited to some groups is offered only those. */
      db.from('groups').orderBy('name').select('id', 'name').if(scope?.groupIds.length, (q) => q.whereIn('id', scope!.groupIds)),
      db.from('disciplines').orderBy('name').select('id', 'name'),
      db.from('systems').orderBy('name').select('id', 'name'),
    ])

    const current = urlOf({ ...state, page: result.page > 1 ? String(result.page) : undefined })
    /* A click on a header sorts by it; a second click turns the order round (a new sort starts on page 1). */
    const sortUrl = (column: ResultSort) =>
      urlOf({ ...state, sort: column, dir: state.sort === column && (state.dir ?? 'desc') === 'desc' ? 'asc' : 'desc' })
    const ariaSort = (column: ResultSort) =>
      state.sort === column ? ((state.dir ?? 'desc') === 'asc' ? 'ascending' : 'descending') : 'none'
    const pageUrl = (page: number) => urlOf({ ...state, page: page > 1 ? String(page) : undefined })
    const groupingUrl = (by: 'student' | null) => urlOf({ ...state, group_by: by ?? undefined })
    const filtered = NARROWING.some((key) => state[key] !== undefined)
    const from = Math.max(1, result.page - 3)
    const to = Math.min(result.lastPage, result.page + 3)
    const pager = {
      first: from > 1,
      gapBefore: from > 2,
      numbers: Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i),
      last: to < result.lastPage,
      gapAfter: to < result.lastPage - 1,
    }

    const fragment = request.header('hx-request') && request.header('hx-target') === 'results-table'
    /* The address bar shows the state without its empty fields: the same URL a link on the page would give. */
    if (fragment) response.header('HX-Push-Url', current)
    return view.render(fragment ? 'partials/results_table' : 'pages/staff/results', {
      result,
      grouped,
      urlState: state,
      filtered,
      current,
      sortUrl,
      ariaSort,
      pageUrl,
      pager,
      groupingUrl,
      back: current,
      pageSizes: PAGE_SIZES,
      statuses: SESSION_STATUSES,
      decisions: DECISIONS,
      groups,
      disciplines,
      systems,
      retaken,
      latestSitting,
      credibilityLevel,
      canDecide: user.role === 'admin' || user.role === 'proctor',
      /* The export takes the same filters and sort, not the page (grouping aside). */
      exportUrl: urlOf({ ...state, group_by: undefined, size: undefined }).replace('/staff/results', '/staff/results/export'),
      exportMax: EXPORT_MAX_ROWS,
      /* The table alone is swapped: the language switch follows the new URL out of band. */
      langSwitchOob: Boolean(fragment),
    })
  }
  /** The rows of an export and the words it is written in; archived as `action` with the filters. */
  private async exported({ request, auth, i18n }: HttpContext, action: string) {
    const valid = await validateQuery(request, resultsFilterValidator)
    const user = auth.use('web').user!
    const { total, rows } = await exportRows(filtersOf(valid), await scopeOf(user), i18n.locale)
    if (!rows) throw new AppError('EXPORT_TOO_LARGE', 422, { max: EXPORT_MAX_ROWS, total })
    const t = (key: string, params?: Record<string, unknown>) => i18n.t(key, params)
    const words = {
      headings: {
        candidate: t('messages.results.col_candidate'),
        iin: t('messages.short_report.iin'),
        group: t('messages.results.col_group'),
        exam: t('messages.results.col_exam'),
        status: t('messages.results.col_status'),
        start: t('messages.results.col_start'),
        end: t('messages.results.col_end'),
        credibility: t('messages.results.col_credibility'),
        violations: t('messages.short_report.violations_counted'),
        decision: t('messages.results.col_decision'),
        decidedBy: t('messages.results.export_decided_by'),
        decidedAt: t('messages.results.export_decided_at'),
        viewed: t('messages.results.col_viewed'),
        report: t('messages.results.col_report'),
      },
      status: (status: string) => t(`messages.status.${status}`),
      decision: (decision: string) => t(`messages.decisions.${decision}`),
      reportUrl: (publicId: string) => `${env.get('APP_URL')}/staff/sessions/${publicId}`,
    }
    const filters = Object.fromEntries(Object.entries(valid).filter(([, value]) => value !== undefined && value !== null && value !== ''))
    await recordAction(
      { userId: user.id, name: user.fullName, iin: user.iin, role: user.role },
      { action, details: { filters, rows: rows.length }, ip: request.ip() }
    )
    return { rows, words, valid, user, t }
  }

  /**
   * GET /staff/results/export: the sessions the list shows for the same filters and sort (every
   * page, not one; grouping by student aside), as XLSX in the viewer's language. Archived.
   */
  async export(ctx: HttpContext) {
    const { rows, words } = await this.exported(ctx, 'results.export')
    const file = await resultsXlsx(rows, words)
    return sendDownload(ctx.response, { type: XLSX_TYPE, name: `results-${new Date().toISOString().slice(0, 10)}.xlsx`, body: file })
  }

  /**
   * GET /staff/results/statement.pdf: the statement (ведомость) of the same rows, to sign and
   * file: titled with the exam's name when the list is filtered on one exam. Archived.
   */
  async statement(ctx: HttpContext) {
    const { rows, words, valid, user, t } = await this.exported(ctx, 'results.statement')
    const exams = [...new Set(rows.map((row) => row.examTitle))]
    const title = exams.length === 1 ? `${t('messages.results.statement')}: ${exams[0]}` : t('messages.results.statement')
    /* The filters that narrow it, in words: "Exam name: …, Status: Finished". */
    const named: [keyof typeof valid, string, (value: string) => string][] = [
      ['exam', 'messages.results.exam_search', (v) => v],
      ['q', 'messages.results.search', (v) => v],
      ['from', 'messages.results.date_from', (v) => v.replace('T', ' ')],
      ['to', 'messages.results.date_to', (v) => v.replace('T', ' ')],
      ['status', 'messages.results.status', (v) => t(`messages.status.${v}`)],
      ['decision', 'messages.results.decision', (v) => t(`messages.decisions.${v}`)],
    ]
    const narrowed = named.filter(([key]) => valid[key]).map(([key, label, show]) => `${t(label)}: ${show(String(valid[key]))}`)
    const made = t('messages.results.statement_made', { name: user.fullName, at: DateTime.now().toFormat('dd.MM.yyyy HH:mm') })
    const file = await statementPdf(rows, {
      ...words,
      title,
      subtitle: [t('messages.results.total', { count: rows.length }), ...narrowed].join(' · '),
      made,
      none: t('messages.results.no_matches'),
    })
    return sendDownload(ctx.response, { type: 'application/pdf', name: `statement-${new Date().toISOString().slice(0, 10)}.pdf`, body: file })
  }
}
