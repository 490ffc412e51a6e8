import db from '@adonisjs/lucid/services/db'
import type { DatabaseQueryBuilderContract } from '@adonisjs/lucid/types/querybuilder'
import { DateTime } from 'luxon'
import { limitSessionRows, type StaffScope } from '#services/staff_scope'

/**
 * The statistics page (seed 003 §4, P7): sessions by day and by hour, the system checks that
 * passed and failed (by error, and whether those students got into the exam afterwards), the
 * reconnections, and a report per exam. Every figure counts sessions started in the date range
 * (the day a session began, in the appliance's local time, as stored), within the user's scope.
 */
export type StatisticsFilters = { from: string; to: string; exam?: number | null; group?: number | null; discipline?: number | null }

/** Candidates listed on the page (the download has them all). */
export const CANDIDATES_SHOWN = 50

/** The last 30 days up to today, unless the URL says otherwise. */
export function defaultRange() {
  const today = DateTime.now().startOf('day')
  return { from: today.minus({ days: 29 }).toISODate()!, to: today.toISODate()! }
}

/** Sessions `s` with their candidate `c`, started in the range, narrowed by the filters and the scope. */
function sessions(filters: StatisticsFilters, scope: StaffScope) {
  const query = db
    .from('proctoring_sessions as s')
    .join('candidates as c', 'c.id', 's.candidate_id')
    .where('s.started_at', '>=', `${filters.from} 00:00:00`)
    .where('s.started_at', '<=', `${filters.to} 23:59:59`)
  if (filters.exam) query.where('s.exam_id', filters.exam)
  if (filters.group) query.where('c.group_id', filters.group)
  if (filters.discipline) query.whereIn('s.exam_id', (sub) => sub.from('exams').where('discipline_id', filters.discipline!).select('id'))
  limitSessionRows(query, scope)
  return query
}

/** The days of the range, each with its count (days without a session count 0). */
async function byDay(filters: StatisticsFilters, scope: StaffScope) {
  const rows = await sessions(filters, scope).select(db.raw('substr(s.started_at, 1, 10) as day')).count('* as n').groupByRaw('1')
  const counted = new Map(rows.map((row: any) => [String(row.day), Number(row.n)]))
  const days: { day: string; n: number }[] = []
  const last = DateTime.fromISO(filters.to)
  for (let day = DateTime.fromISO(filters.from); day <= last && days.length < 400; day = day.plus({ days: 1 })) {
    days.push({ day: day.toISODate()!, n: counted.get(day.toISODate()!) ?? 0 })
  }
  return days
}

/** The 24 hours of the day, each with the sessions that began in it. */
async function byHour(filters: StatisticsFilters, scope: StaffScope) {
  const rows = await sessions(filters, scope).select(db.raw('cast(substr(s.started_at, 12, 2) as integer) as hour')).count('* as n').groupByRaw('1')
  const counted = new Map(rows.map((row: any) => [Number(row.hour), Number(row.n)]))
  return Array.from({ length: 24 }, (_, hour) => ({ hour, n: counted.get(hour) ?? 0 }))
}

/**
 * The system checks (S2) of the sessions in the range: how many sessions passed every check at
 * the first try, how many failed one at least once, and per error: the sessions that met it and
 * how many of them got into the exam afterwards (their session started).
 */
async function connections(filters: StatisticsFilters, scope: StaffScope) {
  const checked = (query: DatabaseQueryBuilderContract) =>
    query.whereIn('s.id', sessions(filters, scope).select('s.id'))
  const perSession = await checked(db.from('connection_checks as k').join('proctoring_sessions as s', 's.id', 'k.session_id'))
    .groupBy('k.session_id')
    .select('k.session_id', db.raw('sum(case when k.passed then 0 else 1 end) as failures'))
  const failedSessions = perSession.filter((row: any) => Number(row.failures) > 0).length
  const errors = await checked(db.from('connection_checks as k').join('proctoring_sessions as s', 's.id', 'k.session_id'))
    .where('k.passed', false)
    .whereNotNull('k.error_code')
    .groupBy('k.error_code')
    .select('k.error_code as code', db.raw('count(distinct k.session_id) as sessions'), db.raw("count(distinct case when s.status <> 'not_started' then k.session_id end) as got_through"))
    .orderBy('sessions', 'desc')
  return {
    sessions: perSession.length,
    passed: perSession.length - failedSessions,
    failed: failedSessions,
    errors: errors.map((row: any) => ({ code: String(row.code), sessions: Number(row.sessions), gotThrough: Number(row.got_through) })),
  }
}

/** Sessions that were joined again (a reload or a lost connection makes a new attempt), most first. */
async function reconnections(filters: StatisticsFilters, scope: StaffScope, locale: string) {
  const rows = await sessions(filters, scope)
    .join('exams as e', 'e.id', 's.exam_id')
    .join('attempts as a', 'a.session_id', 's.id')
    .groupBy('s.id')
    .having(db.raw('count(a.id) > 1') as any)
    .select('s.public_id', 'c.full_name', db.raw(`${titleSql(locale)} as exam_title`), db.raw('count(a.id) - 1 as reconnections'))
    .orderBy('reconnections', 'desc')
    .orderBy('c.full_name', 'asc')
    .limit(50)
  const [{ n }] = await sessions(filters, scope)
    .whereExists((sub) => sub.from('attempts as a').whereRaw('a.session_id = s.id').where('a.number', '>', 1))
    .count('* as n')
  return { sessions: Number(n), top: rows.map((row: any) => ({ publicId: row.public_id, candidate: row.full_name, exam: row.exam_title, reconnections: Number(row.reconnections) })) }
}

/** An exam's title in the page's language, falling back as the rest of the panel does. */
function titleSql(locale: string) {
  const order: Record<string, string[]> = { ru: ['ru', 'kk', 'en'], kk: ['kk', 'ru', 'en'], en: ['en', 'ru', 'kk'] }
  return `coalesce(${(order[locale] ?? order.ru).map((l) => `nullif(e.title_${l}, '')`).join(', ')}, e.title)`
}

/** Per exam: its sessions by status, ПКН stops, decisions and the average credibility (the detailed exam report). */
export async function examReport(filters: StatisticsFilters, scope: StaffScope, locale: string) {
  const rows = await sessions(filters, scope)
    .join('exams as e', 'e.id', 's.exam_id')
    .groupBy('e.id')
    .select(
      'e.id',
      db.raw(`${titleSql(locale)} as title`),
      db.raw('count(*) as sessions'),
      db.raw("sum(case when s.status in ('finished', 'stopped') then 1 else 0 end) as finished"),
      db.raw("sum(case when s.status = 'in_progress' then 1 else 0 end) as in_progress"),
      db.raw("sum(case when s.end_reason = 'violation_limit' then 1 else 0 end) as pkn"),
      db.raw("sum(case when s.decision = 'accepted' then 1 else 0 end) as accepted"),
      db.raw("sum(case when s.decision = 'rejected' then 1 else 0 end) as rejected"),
      db.raw("sum(case when s.decision = 'review' then 1 else 0 end) as review"),
      db.raw('round(avg(s.credibility), 1) as credibility')
    )
    .orderBy('title', 'asc')
  return rows.map((row: any) => ({
    id: Number(row.id),
    title: String(row.title),
    sessions: Number(row.sessions),
    finished: Number(row.finished),
    inProgress: Number(row.in_progress),
    pkn: Number(row.pkn),
    accepted: Number(row.accepted),
    rejected: Number(row.rejected),
    review: Number(row.review),
    credibility: row.credibility === null ? null : Number(row.credibility),
  }))
}

/**
 * Per candidate (seed 003 §4.5): their sessions in the range, how many ended and how many as ПКН,
 * the average credibility, the violations counted toward limits, the reconnections, and the
 * decisions. Most sessions first; `limit` for the page, none for the download.
 */
export async function candidateReport(filters: StatisticsFilters, scope: StaffScope, limit?: number) {
  const query = sessions(filters, scope)
    .leftJoin('groups as g', 'g.id', 'c.group_id')
    .groupBy('c.id')
    .select(
      'c.id',
      'c.full_name',
      'c.iin',
      'g.name as group_name',
      db.raw('count(*) as sessions'),
      db.raw("sum(case when s.status in ('finished', 'stopped') then 1 else 0 end) as finished"),
      db.raw("sum(case when s.end_reason = 'violation_limit' then 1 else 0 end) as pkn"),
      db.raw('round(avg(s.credibility), 1) as credibility'),
      db.raw('sum(s.violation_count) as violations'),
      db.raw('sum((select count(*) from attempts a where a.session_id = s.id and a.number > 1)) as reconnections'),
      db.raw("sum(case when s.decision = 'accepted' then 1 else 0 end) as accepted"),
      db.raw("sum(case when s.decision = 'rejected' then 1 else 0 end) as rejected")
    )
    .orderBy('sessions', 'desc')
    .orderBy('c.full_name', 'asc')
  if (limit) query.limit(limit)
  return (await query).map((row: any) => ({
    id: Number(row.id),
    name: String(row.full_name),
    iin: row.iin as string | null,
    group: row.group_name as string | null,
    sessions: Number(row.sessions),
    finished: Number(row.finished),
    pkn: Number(row.pkn),
    credibility: row.credibility === null ? null : Number(row.credibility),
    violations: Number(row.violations ?? 0),
    reconnections: Number(row.reconnections ?? 0),
    accepted: Number(row.accepted),
    rejected: Number(row.rejected),
  }))
}

export async function statistics(filters: StatisticsFilters, scope: StaffScope, locale: string) {
  const [days, hours, checks, reconnected, exams, candidates] = await Promise.all([
    byDay(filters, scope),
    byHour(filters, scope),
    connections(filters, scope),
    reconnections(filters, scope, locale),
    examReport(filters, scope, locale),
    candidateReport(filters, scope, CANDIDATES_SHOWN),
  ])
  return { days, hours, checks, reconnected, exams, candidates, total: days.reduce((sum, day) => sum + day.n, 0) }
}

/** The drawing box of a chart (SVG units; the chart scales to its card, text keeps its shape). */
export const CHART = { width: 560, height: 200, left: 32, base: 172 }

/**
 * An SVG bar chart's geometry: each value's bar in a box of CHART.width, the scale's top (a
 * round number) and up to `labels` evenly spaced labels under the bars.
 */
export function chart(values: number[], names: string[], labels: number) {
  const max = Math.max(0, ...values)
  const power = max > 0 ? 10 ** Math.floor(Math.log10(max)) : 1
  const top = max <= 5 ? 5 : Math.ceil(max / power) * power
  const slot = (CHART.width - CHART.left) / Math.max(1, values.length)
  const room = CHART.base - 12
  const bars = values.map((n, i) => {
    const height = Math.round((n / top) * room)
    return { x: Math.round((CHART.left + i * slot + slot * 0.15) * 10) / 10, y: CHART.base - height, width: Math.max(1, Math.round(slot * 0.7 * 10) / 10), height, n, name: names[i] }
  })
  const every = Math.max(1, Math.ceil(values.length / labels))
  const ticks = bars.filter((_, i) => i % every === 0).map((bar) => ({ x: Math.round((bar.x + bar.width / 2) * 10) / 10, text: bar.name }))
  return { ...CHART, top, bars, ticks }
}
