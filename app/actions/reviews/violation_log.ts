import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'

/** Sources of a finding, in the order the log names them. */
export const LOG_SOURCES = ['browser', 'analysis', 'proctor'] as const
export type LogSource = (typeof LOG_SOURCES)[number]

/** Two findings of one kind this close (seconds) or closer are one continuous range. */
export const LOG_MERGE_GAP = 2

/** One finding as stored (an event), with the attempt it belongs to when known. */
export type LogEvent = {
  type: string
  source: LogSource
  /** A time, or epoch milliseconds. */
  startedAt: DateTime | number
  endedAt: DateTime | number | null
  /** The attempt's number (1, 2...), when the event names it. */
  attempt?: number | null
  comment?: string | null
}

/** An attempt's place on the exam clock. */
export type LogAttempt = { number: number; startedAt: DateTime; endedAt: DateTime | null }

/**
 * One row of the violation log: a continuous range of one kind, whoever found it. Times are
 * exam time: seconds since the session began (the players' 0:00), with the clock time beside.
 */
export type LogRow = {
  /** Stable across refreshes while the range does not move: type and start. */
  key: string
  type: string
  sources: LogSource[]
  attempt: number | null
  start: number
  end: number
  clockStart: DateTime
  /** end - start; 0 for a finding without a length (a paste). */
  seconds: number
  comment?: string
}

const round1 = (value: number) => Math.round(value * 10) / 10

/** Exam time as the players show it: m:ss under an hour, h:mm:ss from an hour on. */
export function examTime(seconds: number) {
  const whole = Math.max(0, Math.floor(seconds))
  const h = Math.floor(whole / 3600)
  const m = Math.floor((whole % 3600) / 60)
  const s = String(whole % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`
}

/** A length for the log: "8 s", "2 min 5 s", "1 h 2 min"; units come from the caller's language. */
export function lengthText(seconds: number, units: { h: string; min: string; s: string }) {
  const whole = Math.round(seconds)
  if (whole < 60) return `${Math.max(1, whole)} ${units.s}`
  const h = Math.floor(whole / 3600)
  const m = Math.floor((whole % 3600) / 60)
  const s = whole % 60
  if (h > 0) return `${h} ${units.h}${m ? ` ${m} ${units.min}` : ''}`
  return `${m} ${units.min}${s ? ` ${s} ${units.s}` : ''}`
}

const millis = (time: DateTime | number) => (typeof time === 'number' ? time : time.toMillis())

/** The attempt an event happened in: the one it names, else the one running at its start. */
function attemptOf(event: LogEvent, attempts: LogAttempt[]) {
  if (event.attempt) return event.attempt
  const at = millis(event.startedAt)
  const running = attempts.find((a) => a.startedAt.toMillis() <= at && (a.endedAt === null || at <= a.endedAt.toMillis()))
  return running?.number ?? null
}

/**
 * The violation log (seed 003, P3): events of one kind that overlap or lie within
 * LOG_MERGE_GAP seconds of each other become one row with every source that saw them, so one
 * spoken sentence found as three voice stretches (and by the browser) is one row. Sorted by start.
 */
export function buildViolationLog(events: LogEvent[], origin: DateTime, attempts: LogAttempt[] = []): LogRow[] {
  const zero = origin.toMillis()
  const items = events
    .map((event) => {
      const start = round1(Math.max(0, (millis(event.startedAt) - zero) / 1000))
      const end = event.endedAt !== null ? round1(Math.max(start, (millis(event.endedAt) - zero) / 1000)) : start
      return { event, start, end, attempt: attemptOf(event, attempts) }
    })
    .sort((a, b) => a.start - b.start || a.end - b.end)

  const open = new Map<string, { row: LogRow; comments: string[] }>()
  const rows: { row: LogRow; comments: string[] }[] = []
  for (const item of items) {
    const current = open.get(item.event.type)
    if (current && item.start <= current.row.end + LOG_MERGE_GAP) {
      current.row.end = Math.max(current.row.end, item.end)
      if (!current.row.sources.includes(item.event.source)) current.row.sources.push(item.event.source)
      current.row.attempt ??= item.attempt
      if (item.event.comment && !current.comments.includes(item.event.comment)) current.comments.push(item.event.comment)
      continue
    }
    const entry = {
      row: {
        key: `${item.event.type}-${item.start}`,
        type: item.event.type,
        sources: [item.event.source],
        attempt: item.attempt,
        start: item.start,
        end: item.end,
        clockStart: origin.plus({ milliseconds: Math.round(item.start * 1000) }),
        seconds: 0,
      } as LogRow,
      comments: item.event.comment ? [item.event.comment] : [],
    }
    open.set(item.event.type, entry)
    rows.push(entry)
  }
  return rows
    .map(({ row, comments }) => ({
      ...row,
      sources: LOG_SOURCES.filter((s) => row.sources.includes(s)),
      seconds: round1(row.end - row.start),
      ...(comments.length ? { comment: comments.join(' · ') } : {}),
    }))
    .sort((a, b) => a.start - b.start || a.type.localeCompare(b.type))
}

/** A stored time ("2026-11-24 09:00:05", the app's local time, as Lucid writes it) as epoch ms. */
function storedMillis(value: string | null): number | null {
  if (value === null || value === undefined) return null
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(String(value))
  if (m) return new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], m[7] ? +m[7].padEnd(3, '0') : 0).getTime()
  const parsed = DateTime.fromSQL(String(value))
  return (parsed.isValid ? parsed : DateTime.fromISO(String(value))).toMillis()
}

/**
 * A session's findings for the log, read straight from the table (no model per row: a report
 * with hundreds of findings stays fast). Times are stored to the second; a finding placed in its
 * attempt's recording (offsets in seconds, as the analysis and a proctor's incident keep them) is
 * placed to the tenth. Also what the live stream compares: how many there are and the newest id.
 */
export async function loadLogEvents(sessionId: number, attempts: { id: number; number: number; startedAt: DateTime }[]) {
  const rows = (await db
    .from('events')
    .where({ session_id: sessionId, is_violation: true })
    .orderBy('started_at', 'asc')
    .select('id', 'type', 'source', 'attempt_id', 'started_at', 'ended_at', 'offset_start', 'offset_end', 'details')) as {
    id: number
    type: string
    source: LogSource
    attempt_id: number | null
    started_at: string
    ended_at: string | null
    offset_start: number | null
    offset_end: number | null
    details: string | null
  }[]
  const byId = new Map(attempts.map((a) => [a.id, { number: a.number, start: a.startedAt.toMillis() }]))
  let last = 0
  const events: LogEvent[] = rows.map((row) => {
    last = Math.max(last, row.id)
    const attempt = row.attempt_id ? byId.get(row.attempt_id) : undefined
    const place = (offset: number | null, stored: string | null) =>
      attempt && offset !== null ? attempt.start + Math.round(offset * 1000) : storedMillis(stored)
    let comment: string | null = null
    if (row.details && row.details.includes('"comment"')) {
      try {
        const details = JSON.parse(row.details)
        if (typeof details?.comment === 'string') comment = details.comment
      } catch {}
    }
    return {
      type: row.type,
      source: row.source,
      startedAt: place(row.offset_start, row.started_at)!,
      endedAt: place(row.offset_end, row.ended_at),
      attempt: attempt?.number ?? null,
      comment,
    }
  })
  return { events, count: rows.length, last }
}
