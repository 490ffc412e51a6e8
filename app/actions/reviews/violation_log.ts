import { DateTime } from 'luxon'

/** Sources of a finding, in the order the log names them. */
export const LOG_SOURCES = ['browser', 'analysis', 'proctor'] as const
export type LogSource = (typeof LOG_SOURCES)[number]

/** Two findings of one kind this close (seconds) or closer are one continuous range. */
export const LOG_MERGE_GAP = 2

/** One finding as stored (an event), with the attempt it belongs to when known. */
export type LogEvent = {
  type: string
  source: LogSource
  startedAt: DateTime
  endedAt: DateTime | null
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

/** The attempt an event happened in: the one it names, else the one running at its start. */
function attemptOf(event: LogEvent, attempts: LogAttempt[]) {
  if (event.attempt) return event.attempt
  const at = event.startedAt.toMillis()
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
      const start = round1(Math.max(0, (event.startedAt.toMillis() - zero) / 1000))
      const end = event.endedAt ? round1(Math.max(start, (event.endedAt.toMillis() - zero) / 1000)) : start
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
