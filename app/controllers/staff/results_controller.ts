import type { HttpContext } from '@adonisjs/core/http'
import db from '@adonisjs/lucid/services/db'
import { DECISIONS, SESSION_STATUSES } from '#models/proctoring_session'
import { validateQuery } from '#validators/request_input'
import { resultsFilterValidator } from '#validators/staff'
import { scopeOf } from '#services/staff_scope'
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
    const filters: ResultFilters = {
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
      /* The table alone is swapped: the language switch follows the new URL out of band. */
      langSwitchOob: Boolean(fragment),
    })
  }
}
