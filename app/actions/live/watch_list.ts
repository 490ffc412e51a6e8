import db from '@adonisjs/lucid/services/db'
import type User from '#models/user'
import AppError from '#exceptions/app_error'
import { limitSessionRows, scopeOf, type StaffScope } from '#services/staff_scope'
import { publish } from '#services/live/live'
import { sqlTime } from '#services/sql_time'
import { isoOf } from '#actions/live/messages'

/**
 * The proctor's watch list (P6): the sessions shown as tiles on the live page, kept per
 * proctor between visits; the picker that adds them ("+": exam, group, name, paginated); and
 * what each tile shows, re-read every few seconds (status, violations, the latest one) with
 * the feed of new violations from the browser and from the analysis.
 */

export const PICKER_PAGE_SIZE = 12
/** A page at 1280x720 holds this many tiles; more would not be watched anyway. */
export const WATCH_MAX = 60

export type Tile = {
  id: number
  publicId: string
  examId: number
  candidate: string
  group: string | null
  exam: { title: string; titleKk: string | null; titleRu: string | null; titleEn: string | null }
  status: string
  endReason: string | null
  violations: number
  latest: { type: string; source: string; at: string } | null
}

function sessionsQuery(scope: StaffScope) {
  return limitSessionRows(
    db
      .from('proctoring_sessions as s')
      .join('candidates as c', 'c.id', 's.candidate_id')
      .join('exams as e', 'e.id', 's.exam_id')
      .leftJoin('groups as g', 'g.id', 'c.group_id')
      .select(
        's.id', 's.public_id', 's.exam_id', 's.status', 's.end_reason', 's.violation_count', 'c.full_name', 'g.name as group_name',
        'e.title', 'e.title_kk', 'e.title_ru', 'e.title_en'
      ),
    scope
  )
}

function tileOf(row: any, latest: Tile['latest']): Tile {
  return {
    id: Number(row.id),
    publicId: row.public_id,
    examId: Number(row.exam_id),
    candidate: row.full_name,
    group: row.group_name ?? null,
    exam: { title: row.title, titleKk: row.title_kk, titleRu: row.title_ru, titleEn: row.title_en },
    status: row.status,
    endReason: row.end_reason,
    violations: Number(row.violation_count),
    latest,
  }
}

/** Each session's latest violation, in one query (the events' (session_id, started_at) index). */
async function latestViolations(sessionIds: number[]) {
  const latest = new Map<number, Tile['latest']>()
  if (sessionIds.length === 0) return latest
  const rows = await db
    .from('events as e')
    .whereIn('e.session_id', sessionIds)
    .where('e.is_violation', true)
    .where('e.started_at', db.raw('(SELECT MAX(started_at) FROM events WHERE session_id = e.session_id AND is_violation = 1)'))
    .select('e.session_id', 'e.type', 'e.source', 'e.started_at')
  for (const row of rows) {
    const id = Number(row.session_id)
    if (!latest.has(id)) latest.set(id, { type: row.type, source: row.source, at: isoOf(row.started_at) })
  }
  return latest
}

/** The tiles of a proctor's watch list, in the order they were added. */
export async function watchedTiles(user: Pick<User, 'id' | 'role'>): Promise<Tile[]> {
  const scope = await scopeOf(user)
  const rows = await sessionsQuery(scope)
    .join('live_watch_items as w', 'w.session_id', 's.id')
    .where('w.user_id', user.id)
    .orderBy('w.created_at', 'asc')
    .orderBy('s.id', 'asc')
  const latest = await latestViolations(rows.map((row: any) => Number(row.id)))
  return rows.map((row: any) => tileOf(row, latest.get(Number(row.id)) ?? null))
}

/** One tile, when the session is on the proctor's list. */
export async function watchedTile(user: Pick<User, 'id' | 'role'>, sessionId: number) {
  return (await watchedTiles(user)).find((tile) => tile.id === sessionId) ?? null
}

export async function watchedSessionIds(userId: number) {
  const rows = await db.from('live_watch_items').where('user_id', userId).select('session_id')
  return rows.map((row) => Number(row.session_id))
}

/** Adds a session to the list (only one the proctor may see); adding twice is harmless. */
export async function addToWatch(user: Pick<User, 'id' | 'role'>, publicId: string) {
  const scope = await scopeOf(user)
  const row = await sessionsQuery(scope).where('s.public_id', publicId).first()
  if (!row) throw AppError.notFound('SESSION_NOT_FOUND')
  const count = (await db.from('live_watch_items').where('user_id', user.id).count('* as n').first())?.n ?? 0
  const exists = await db.from('live_watch_items').where({ user_id: user.id, session_id: row.id }).first()
  if (!exists) {
    if (Number(count) >= WATCH_MAX) throw AppError.conflict('LIVE_WATCH_FULL', { max: WATCH_MAX })
    await db.table('live_watch_items').insert({ user_id: user.id, session_id: row.id, created_at: sqlTime() })
  }
  publish(`user:${user.id}`, { type: 'watch', sessionId: Number(row.id), on: true })
  return Number(row.id)
}

/** Closes a tile: the session leaves the list. */
export async function removeFromWatch(user: Pick<User, 'id'>, publicId: string) {
  const row = await db.from('proctoring_sessions').where('public_id', publicId).select('id').first()
  if (!row) throw AppError.notFound('SESSION_NOT_FOUND')
  await db.from('live_watch_items').where({ user_id: user.id, session_id: row.id }).delete()
  publish(`user:${user.id}`, { type: 'watch', sessionId: Number(row.id), on: false })
  return Number(row.id)
}

export type PickerFilters = { exam: number | null; group: number | null; q: string; page: number }

/** Sessions running now that the proctor may add, with whether each is on the list already. */
export async function pickerPage(user: Pick<User, 'id' | 'role'>, filters: PickerFilters) {
  const scope = await scopeOf(user)
  const query = sessionsQuery(scope).whereIn('s.status', ['in_progress', 'not_started'])
  if (filters.exam) query.where('s.exam_id', filters.exam)
  if (filters.group) query.where('c.group_id', filters.group)
  if (filters.q) query.whereLike('c.full_name', `%${filters.q.replace(/[%_\\]/g, (m) => `\\${m}`)}%`)
  const total = Number((await query.clone().clearSelect().clearOrder().count('* as n').first())?.n ?? 0)
  const pages = Math.max(1, Math.ceil(total / PICKER_PAGE_SIZE))
  const page = Math.min(Math.max(1, filters.page), pages)
  const rows = await query
    .orderBy('c.full_name', 'asc')
    .orderBy('s.id', 'asc')
    .limit(PICKER_PAGE_SIZE)
    .offset((page - 1) * PICKER_PAGE_SIZE)
  const watched = new Set(await watchedSessionIds(user.id))
  return {
    rows: rows.map((row: any) => ({ ...tileOf(row, null), watched: watched.has(Number(row.id)) })),
    total,
    page,
    pages,
  }
}

/** The exams and groups the picker filters on (those with sessions running, within the scope). */
export async function pickerChoices(user: Pick<User, 'id' | 'role'>) {
  const scope = await scopeOf(user)
  const base = () => limitSessionRows(db.from('proctoring_sessions as s').join('candidates as c', 'c.id', 's.candidate_id').whereIn('s.status', ['in_progress', 'not_started']), scope)
  const exams = await base().join('exams as e', 'e.id', 's.exam_id').distinct('e.id', 'e.title', 'e.title_kk', 'e.title_ru', 'e.title_en').orderBy('e.title')
  const groups = await base().join('groups as g', 'g.id', 'c.group_id').distinct('g.id', 'g.name').orderBy('g.name')
  return { exams, groups }
}

/** The violations of the watched sessions newer than `after` (the live feed), newest first. */
export async function violationFeed(sessionIds: number[], after: number) {
  if (sessionIds.length === 0) return []
  const rows = await db
    .from('events')
    .whereIn('session_id', sessionIds)
    .where('is_violation', true)
    .where('id', '>', after)
    .orderBy('id', 'desc')
    .limit(30)
    .select('id', 'session_id', 'type', 'source', 'started_at')
  return rows.map((row) => ({
    id: Number(row.id),
    sessionId: Number(row.session_id),
    type: row.type,
    source: row.source,
    at: isoOf(row.started_at),
  }))
}
