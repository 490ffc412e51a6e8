import db from '@adonisjs/lucid/services/db'
import type { DatabaseQueryBuilderContract } from '@adonisjs/lucid/types/querybuilder'
import { DateTime } from 'luxon'
import type { Decision, SessionStatus } from '#models/proctoring_session'
import { limitSessionRows, type StaffScope } from '#services/staff_scope'

/** The columns the results list sorts on (URL `sort`), and what each sorts by. */
export const RESULT_SORTS = ['candidate', 'group', 'status', 'start', 'end', 'credibility', 'exam', 'decision', 'viewed'] as const
export type ResultSort = (typeof RESULT_SORTS)[number]
export const PAGE_SIZES = [25, 50, 100] as const

export type ResultFilters = {
  /** Name, group or IIN. */
  q?: string | null
  /** The exam's name, in any of its languages. */
  exam?: string | null
  /** Started at or after / before (local date-times, "yyyy-MM-ddTHH:mm"). */
  from?: string | null
  to?: string | null
  group?: number | null
  discipline?: number | null
  status?: SessionStatus | null
  /** Credibility range in %, both ends included (a session not yet scored is left out). */
  cmin?: number | null
  cmax?: number | null
  decision?: Decision | null
  system?: number | null
  /** ПКН: stopped for going over the violation limit (1), or not (0). */
  pkn?: 0 | 1 | null
  /** The archive: archived sessions, or the sessions of archived exams, instead of the current ones. */
  archive?: boolean | null
  sort?: ResultSort | null
  dir?: 'asc' | 'desc' | null
  page?: number | null
  size?: number | null
}

export type ResultRow = {
  id: number
  publicId: string
  examId: number
  candidateId: number
  status: SessionStatus
  endReason: string | null
  startedAt: DateTime | null
  endedAt: DateTime | null
  credibility: number | null
  decision: Decision
  viewedAt: DateTime | null
  sitting: number
  candidateName: string
  iin: string | null
  groupName: string | null
  examTitle: string
  passThreshold: number
  /** Whether the face photo exists (the thumbnail column). */
  hasPhoto: boolean
}

export type StudentRow = {
  candidateId: number
  candidateName: string
  iin: string | null
  groupName: string | null
  count: number
  lastStart: DateTime | null
  sessions: ResultRow[]
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`)

/** A stored timestamp ("yyyy-MM-dd HH:mm:ss", local time) as a DateTime. */
function stamp(value: unknown): DateTime | null {
  if (value === null || value === undefined) return null
  if (value instanceof Date) return DateTime.fromJSDate(value)
  const parsed = DateTime.fromSQL(String(value))
  return parsed.isValid ? parsed : DateTime.fromISO(String(value))
}

/** A filter's date-time ("yyyy-MM-ddTHH:mm") as stored timestamps compare ("yyyy-MM-dd HH:mm:ss"). */
function storedStamp(value: string, end: boolean) {
  const parsed = DateTime.fromISO(value)
  if (!parsed.isValid) return null
  /* "to 10:30" takes the whole minute 10:30. */
  return (end && !/:\d\d:\d\d/.test(value) ? parsed.endOf('minute') : parsed).toFormat('yyyy-MM-dd HH:mm:ss')
}

/** The exam's title in the page's language (as Exam.titleIn), in SQL. */
function examTitleSql(locale: string) {
  const order = [locale, ...['ru', 'kk', 'en'].filter((l) => l !== locale)].filter((l) => ['ru', 'kk', 'en'].includes(l))
  return `coalesce(${order.map((l) => `nullif(e.title_${l}, '')`).join(', ')}, e.title)`
}

/** Whether the filters (or the scope) look at the candidate or their group: the count joins them only then. */
function needsCandidates(filters: ResultFilters, scope: StaffScope) {
  return Boolean(filters.q?.trim() || filters.group || scope?.groupIds.length)
}

/** The exams matching a condition, as a subquery (the exam filters need no join with the exams). */
const examIds = (where: (query: DatabaseQueryBuilderContract) => unknown) =>
  db.from('exams').select('id').where((w) => {
    where(w)
  })

/**
 * Every filter, applied to a query over `proctoring_sessions s` (with `candidates c` and `groups g`
 * joined when the filters need them): the exam's conditions are subqueries over the few exams.
 */
function applyFilters(query: DatabaseQueryBuilderContract, filters: ResultFilters, scope: StaffScope, drive: Drive = 'sessions') {
  limitSessionRows(query, scope)
  /* Walking the exams first, their conditions go on the exam itself, so that no other exam's sessions are read. */
  const examColumn = drive === 'exams' ? 'e.id' : 's.exam_id'
  const archivedExams = examIds((w) => w.where('archived', true))
  if (filters.archive) query.where((w) => w.where('s.archived', true).orWhereIn(examColumn, archivedExams))
  else query.where('s.archived', false).whereNotIn(examColumn, archivedExams)
  const q = filters.q?.trim()
  if (q) {
    const like = `%${escapeLike(q)}%`
    query.where((w) =>
      w
        .whereRaw("c.full_name LIKE ? ESCAPE '\\'", [like])
        .orWhereRaw("g.name LIKE ? ESCAPE '\\'", [like])
        .orWhereRaw("c.iin LIKE ? ESCAPE '\\'", [`${escapeLike(q)}%`])
    )
  }
  const exam = filters.exam?.trim()
  if (exam) {
    const like = `%${escapeLike(exam)}%`
    query.whereIn(
      examColumn,
      examIds((w) => {
        for (const column of ['title', 'title_kk', 'title_ru', 'title_en']) w.orWhereRaw(`${column} LIKE ? ESCAPE '\\'`, [like])
      })
    )
  }
  const from = filters.from ? storedStamp(filters.from, false) : null
  const to = filters.to ? storedStamp(filters.to, true) : null
  if (from) query.where('s.started_at', '>=', from)
  if (to) query.where('s.started_at', '<=', to)
  if (filters.group) query.where('c.group_id', filters.group)
  if (filters.discipline) query.whereIn(examColumn, examIds((w) => w.where('discipline_id', filters.discipline!)))
  if (filters.status) query.where('s.status', filters.status)
  if (filters.cmin !== null && filters.cmin !== undefined) query.where('s.credibility', '>=', filters.cmin)
  if (filters.cmax !== null && filters.cmax !== undefined) query.where('s.credibility', '<=', filters.cmax)
  if (filters.decision) query.where('s.decision', filters.decision)
  if (filters.system) query.where('s.system_id', filters.system)
  if (filters.pkn === 1) query.where('s.end_reason', 'violation_limit')
  if (filters.pkn === 0) query.where((w) => w.whereNull('s.end_reason').orWhereNot('s.end_reason', 'violation_limit'))
  return query
}

/**
 * Which table SQLite walks first. By default the sessions (newest first, or an index on the sorted
 * column); by the candidates' name index when the list is sorted by name or grouped by student,
 * and by the candidates of a group when a group is filtered on (their sessions then come through
 * the (candidate_id, ...) index of migration 0016); by the exams, in their title's order, when
 * sorted by exam; by the groups, in their names' order, when sorted by group (groupSorted). A CROSS JOIN is how SQLite is told the order: on 100,000 sessions the planner
 * otherwise sorts every matching row to show 25 (60-90 ms instead of 1-3 ms). The sessions' index
 * is named too (INDEXED BY): without statistics SQLite may otherwise read a candidate's sessions
 * through the decision index, every accepted session for each candidate (2.5 s instead of 9 ms).
 */
type Drive = 'sessions' | 'candidates' | 'exams' | 'groups'

function driveOf(filters: ResultFilters, scope: StaffScope, grouped = false): Drive {
  /* A search by name, group or IIN, or a group, narrows the candidates first (20,000 names, not 100,000 sessions). */
  if (grouped || filters.sort === 'candidate' || filters.q?.trim() || filters.group) return 'candidates'
  /* Sorting by exam walks the exams in title order. */
  if (filters.sort === 'exam') return 'exams'
  if (filters.sort === 'group') return 'groups'
  if (scope?.groupIds.length && !filters.sort) return 'candidates'
  return 'sessions'
}

/**
 * Whether the candidates are walked in their names' order (sorted by name, or grouped by student
 * in name order) rather than narrowed by a search or a group first.
 */
function walkByName(filters: ResultFilters, grouped: boolean) {
  /* Students are listed by name unless sorted by their group or latest start (studentSortSql). */
  const inNameOrder = grouped ? !['group', 'start'].includes(filters.sort ?? '') : filters.sort === 'candidate'
  return inNameOrder && !filters.q?.trim() && !filters.group
}

/** The sessions with what a row shows: their candidate, group and exam. */
/**
 * The candidates (by their name index when `byName`), their group, then their sessions. The group
 * comes before the sessions: a search on the group's name is decided per candidate, not per session.
 */
function fromCandidates(byName = false) {
  const candidates = (byName ? db.raw('candidates as c indexed by candidates_full_name_index') : 'candidates as c') as string
  return db
    .from(candidates)
    .leftJoin('groups as g', 'g.id', 'c.group_id')
    .joinRaw('cross join proctoring_sessions as s indexed by proctoring_sessions_list_index on s.candidate_id = c.id')
}

function baseQuery(drive: Drive = 'sessions', filters: ResultFilters | null = null, byName = false) {
  if (drive === 'candidates') return fromCandidates(byName).join('exams as e', 'e.id', 's.exam_id')
  if (drive === 'groups') {
    return db
      .from(db.raw('groups as g indexed by groups_name_unique') as unknown as string)
      .joinRaw('cross join candidates as c indexed by candidates_group_id_index on c.group_id = g.id')
      .joinRaw('cross join proctoring_sessions as s indexed by proctoring_sessions_list_index on s.candidate_id = c.id')
      .join('exams as e', 'e.id', 's.exam_id')
  }
  if (drive === 'exams') {
    return db
      .from('exams as e')
      .joinRaw('cross join proctoring_sessions as s indexed by proctoring_sessions_exam_id_index on s.exam_id = e.id')
      .join('candidates as c', 'c.id', 's.candidate_id')
      .leftJoin('groups as g', 'g.id', 'c.group_id')
  }
  /* Lucid passes a raw table through to knex (its type only names strings and subqueries). */
  const sessions = db.raw(`proctoring_sessions as s ${sessionsWalk(filters ?? {})}`) as unknown as string
  return db
    .from(sessions)
    .join('candidates as c', 'c.id', 's.candidate_id')
    .leftJoin('groups as g', 'g.id', 'c.group_id')
    .join('exams as e', 'e.id', 's.exam_id')
}

/** The index of each session column the list sorts on, with the filters' columns (migration 0021). */
const SORT_INDEXES: Partial<Record<ResultSort, string>> = {
  status: 'proctoring_sessions_status_walk_index',
  start: 'proctoring_sessions_started_at_walk_index',
  end: 'proctoring_sessions_ended_at_walk_index',
  credibility: 'proctoring_sessions_credibility_walk_index',
  decision: 'proctoring_sessions_decision_walk_index',
  viewed: 'proctoring_sessions_viewed_at_walk_index',
}

/**
 * Walking the sessions, they are read in the order shown (the sorted column's index, or newest
 * first) and the walk stops at the page: the filters on sessions keep a share of them large
 * enough for that (a credibility range, a month), and each index holds the filtered columns, so
 * a session it passes over is not read. Left to itself, SQLite reads every session in a
 * credibility range through its index and sorts them (80 ms, not 2 ms). Unsorted but filtered
 * on one status or decision, that index gives its sessions newest first (their id is its second
 * column): a rare status ("in progress") is not looked for among every newer session.
 */
function sessionsWalk(filters: ResultFilters) {
  const sort = filters.sort
  if (!sort) {
    if (filters.status) return `indexed by ${SORT_INDEXES.status}`
    if (filters.decision) return `indexed by ${SORT_INDEXES.decision}`
    return 'not indexed'
  }
  const index = SORT_INDEXES[sort]
  return index ? `indexed by ${index}` : ''
}

/**
 * The sessions for a count: the candidate and group joined only when a filter looks at them
 * (from a group's candidates when a group is filtered on). Without a join SQLite counts through
 * the narrow (candidate_id, archived, exam_id, ...) index rather than the sessions themselves.
 */
function countQuery(filters: ResultFilters, scope: StaffScope, grouped = false) {
  if (!needsCandidates(filters, scope)) {
    const sessions = db.raw(`proctoring_sessions as s ${countWalk(filters, grouped)}`) as unknown as string
    return applyFilters(db.from(sessions), filters, scope)
  }
  const query =
    driveOf(filters, scope) === 'candidates'
      ? fromCandidates()
      : db.from('proctoring_sessions as s').join('candidates as c', 'c.id', 's.candidate_id').leftJoin('groups as g', 'g.id', 'c.group_id')
  return applyFilters(query, filters, scope)
}

/**
 * Whether the counts SQLite keeps per exam, archive flag, status, decision, ПКН and system
 * (session_list_counts, migration 0020) answer the list's count: no filter on a session's
 * candidate, group, start or credibility, and no group in the user's scope.
 */
function countedByTotals(filters: ResultFilters, scope: StaffScope) {
  const range = [filters.cmin, filters.cmax].some((value) => value !== null && value !== undefined)
  return !needsCandidates(filters, scope) && !filters.from && !filters.to && !range
}

/** How many sessions match: summed from the kept counts when they can answer, counted otherwise. */
async function countSessions(filters: ResultFilters, scope: StaffScope) {
  if (countedByTotals(filters, scope)) {
    /* The kept counts have the sessions' column names: the same filters apply to them. */
    const [{ n }] = await applyFilters(db.from('session_list_counts as s'), filters, scope).sum('s.n as n')
    return Number(n ?? 0)
  }
  const [{ n }] = await countQuery(filters, scope).count('* as n')
  return Number(n)
}

/**
 * For a count without candidates: a start or credibility range is read through the index that
 * leads with it and covers every other filter (migration 0020); grouped by student, the
 * sessions come by candidate (the list index), so that counting them once each needs no sort.
 */
function countWalk(filters: ResultFilters, grouped: boolean) {
  if (grouped) return 'indexed by proctoring_sessions_list_index'
  if (filters.from || filters.to) return 'indexed by proctoring_sessions_started_count_index'
  if ([filters.cmin, filters.cmax].some((value) => value !== null && value !== undefined)) return 'indexed by proctoring_sessions_credibility_count_index'
  return ''
}

/** What each sortable column sorts by. */
function sortSql(sort: ResultSort, locale: string) {
  const columns: Record<ResultSort, string> = {
    candidate: 'c.full_name',
    group: 'g.name',
    status: 's.status',
    start: 's.started_at',
    end: 's.ended_at',
    credibility: 's.credibility',
    exam: examTitleSql(locale),
    decision: 's.decision',
    viewed: 's.viewed_at',
  }
  return columns[sort]
}

function rowOf(row: Record<string, any>): ResultRow {
  return {
    id: Number(row.id),
    publicId: row.public_id,
    examId: Number(row.exam_id),
    candidateId: Number(row.candidate_id),
    status: row.status,
    endReason: row.end_reason,
    startedAt: stamp(row.started_at),
    endedAt: stamp(row.ended_at),
    credibility: row.credibility === null ? null : Number(row.credibility),
    decision: row.decision,
    viewedAt: stamp(row.viewed_at),
    sitting: Number(row.sitting),
    candidateName: row.full_name,
    iin: row.iin,
    groupName: row.group_name,
    examTitle: row.exam_title,
    passThreshold: Number(row.pass_threshold),
    hasPhoto: false,
  }
}

function selectRows(query: DatabaseQueryBuilderContract, locale: string) {
  return query.select(
    's.id', 's.public_id', 's.exam_id', 's.candidate_id', 's.status', 's.end_reason', 's.started_at', 's.ended_at',
    's.credibility', 's.decision', 's.viewed_at', 's.sitting', 'c.full_name', 'c.iin', 'g.name as group_name',
    db.raw(`${examTitleSql(locale)} as exam_title`), 'e.pass_threshold'
  )
}

/** Marks the rows whose session has a face photo (one query for the page). */
async function markPhotos(rows: ResultRow[]) {
  if (!rows.length) return rows
  const found = await db.from('identity_checks').whereIn('session_id', rows.map((r) => r.id)).where('kind', 'face').distinct('session_id')
  const withPhoto = new Set(found.map((r: { session_id: number }) => Number(r.session_id)))
  for (const row of rows) row.hasPhoto = withPhoto.has(row.id)
  return rows
}

/** Whether the list is empty because nothing exists yet (no session at all the user may see). */
async function anySession(scope: StaffScope) {
  const query = db.from('proctoring_sessions as s').join('candidates as c', 'c.id', 's.candidate_id').select('s.id').limit(1)
  limitSessionRows(query, scope)
  return (await query).length > 0
}

export type ResultsPage<Row> = { rows: Row[]; total: number; page: number; size: number; lastPage: number; anySessions: boolean }

function pageOf(filters: ResultFilters) {
  const size = (PAGE_SIZES as readonly number[]).includes(filters.size ?? 0) ? filters.size! : PAGE_SIZES[0]
  return { size, page: Math.max(1, filters.page ?? 1) }
}

/**
 * The results list (seed 003 §2): one page of sessions, with every filter, the sort and the
 * page size, as one SQL query with its joins (and one count), limited to what the user may see.
 */
export async function listResults(filters: ResultFilters, scope: StaffScope, locale: string, known: { total?: number } = {}): Promise<ResultsPage<ResultRow>> {
  const { size, page } = pageOf(filters)
  const dir = filters.dir === 'asc' ? 'asc' : 'desc'
  /* A caller reading page after page (the export) counts once. */
  const total = known.total ?? (await countSessions(filters, scope))
  const drive = driveOf(filters, scope)
  const offset = (page - 1) * size
  let found: Record<string, any>[]
  if (drive === 'groups') found = await groupSorted(filters, scope, locale, { total, offset, size, dir })
  else {
    const query = selectRows(applyFilters(baseQuery(drive, filters, walkByName(filters, false)), filters, scope, drive), locale)
    if (filters.sort) query.orderByRaw(`${sortSql(filters.sort, locale)} ${dir}`)
    query.orderBy('s.id', filters.sort ? dir : 'desc')
    found = await query.limit(size).offset(offset)
  }
  const rows = found.map(rowOf)
  await markPhotos(rows)
  return { rows, total, page, size, lastPage: Math.max(1, Math.ceil(total / size)), anySessions: total > 0 || (await anySession(scope)) }
}

/**
 * A page sorted by group: the sessions of candidates in a group come through the groups' name
 * index (4 ms instead of a sort of every session, 50 ms, on 100,000), those of candidates without
 * a group apart, first going up and last going down (where SQLite puts an empty name). Their
 * count places the page in one part, the other or across both.
 */
async function groupSorted(
  filters: ResultFilters,
  scope: StaffScope,
  locale: string,
  at: { total: number; offset: number; size: number; dir: 'asc' | 'desc' }
) {
  const groupless = () => applyFilters(fromCandidates().join('exams as e', 'e.id', 's.exam_id').whereNull('c.group_id'), filters, scope)
  const [{ n }] = await groupless().count('* as n')
  const none = { count: Number(n), rows: () => groupless() }
  const grouped = { count: at.total - none.count, rows: () => applyFilters(baseQuery('groups'), filters, scope).orderBy('g.name', at.dir) }
  const found: Record<string, any>[] = []
  let skip = at.offset
  for (const part of at.dir === 'asc' ? [none, grouped] : [grouped, none]) {
    const wanted = at.size - found.length
    if (wanted <= 0) break
    if (skip >= part.count) {
      skip -= part.count
      continue
    }
    found.push(...(await selectRows(part.rows(), locale).orderBy('s.id', at.dir).limit(wanted).offset(skip)))
    skip = 0
  }
  return found
}

/** What a student row sorts on: its name, group, count or latest start; the session columns sort the sessions inside. */
function studentSortSql(sort: ResultSort | null | undefined) {
  if (sort === 'group') return 'group_name'
  if (sort === 'start') return 'last_start'
  if (sort === 'candidate') return 'full_name'
  return null
}

/**
 * Grouped by student (seed 003 §2.3): a row per candidate with the number of their sessions
 * that pass the filters, and those sessions (for expand and collapse): one query for the page
 * of students, one count, one query for their sessions.
 */
export async function listResultsByStudent(filters: ResultFilters, scope: StaffScope, locale: string): Promise<ResultsPage<StudentRow>> {
  const { size, page } = pageOf(filters)
  const dir = filters.dir === 'asc' ? 'asc' : 'desc'
  const [{ n }] = await countQuery(filters, scope, true).countDistinct('s.candidate_id as n')
  const total = Number(n)
  /* Grouped by name and id, the name index gives the groups in the page's order: no sort. */
  const students = applyFilters(baseQuery('candidates', null, walkByName(filters, true)), filters, scope)
    .groupBy('c.full_name', 'c.id')
    .select('c.id as candidate_id', 'c.full_name', 'c.iin', 'g.name as group_name', db.raw('count(*) as sessions'), db.raw('max(s.started_at) as last_start'))
  const by = studentSortSql(filters.sort)
  if (by) students.orderBy(by === 'full_name' ? 'c.full_name' : by, dir).orderBy('c.id', dir)
  else students.orderBy('c.full_name', 'asc').orderBy('c.id', 'asc')
  const found = await students.limit(size).offset((page - 1) * size)
  const ids = found.map((row: Record<string, any>) => Number(row.candidate_id))
  const sessions = ids.length ? selectRows(applyFilters(baseQuery('candidates'), filters, scope), locale).whereIn('c.id', ids) : null
  if (sessions) {
    if (filters.sort && !by) sessions.orderByRaw(`${sortSql(filters.sort, locale)} ${dir}`)
    sessions.orderBy('s.started_at', 'desc').orderBy('s.id', 'desc')
  }
  const sessionRows = sessions ? await markPhotos((await sessions).map(rowOf)) : []
  const rows: StudentRow[] = found.map((row: Record<string, any>) => ({
    candidateId: Number(row.candidate_id),
    candidateName: row.full_name,
    iin: row.iin,
    groupName: row.group_name,
    count: Number(row.sessions),
    lastStart: stamp(row.last_start),
    sessions: sessionRows.filter((s) => s.candidateId === Number(row.candidate_id)),
  }))
  return { rows, total, page, size, lastPage: Math.max(1, Math.ceil(total / size)), anySessions: total > 0 || (await anySession(scope)) }
}
