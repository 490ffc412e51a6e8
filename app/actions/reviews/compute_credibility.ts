import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import Exam from '#models/exam'
import Attempt from '#models/attempt'
import ProctoringEvent from '#models/proctoring_event'
import ProctoringSession from '#models/proctoring_session'

/** Weight of a second under each kind of violation, unless the exam sets its own (A5). */
export const DEFAULT_WEIGHTS: Record<string, number> = {
  no_face: 1,
  multiple_faces: 1.5,
  face_mismatch: 2,
  looking_away: 0.5,
  voice_detected: 0.7,
  focus_lost: 1,
  tab_hidden: 1,
  fullscreen_exit: 0.5,
  copy: 1,
  cut: 1,
  paste: 1,
  right_click: 0.3,
  screen_share_stopped: 1.5,
  camera_stopped: 1.5,
  camera_muted: 1,
  microphone_stopped: 1,
  microphone_muted: 0.7,
  second_monitor: 1.5,
  network_lost: 0.2,
  phone_camera_lost: 0.5,
  incident: 1,
}

/** An event without a length (a paste, a right click) counts as this many seconds. */
export const INSTANT_EVENT_SECONDS = 10

type Interval = [number, number]

/** Total length of a set of intervals, overlaps counted once. */
export function unionSeconds(intervals: Interval[]) {
  const sorted = intervals.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0])
  let total = 0
  let [start, end] = sorted[0] ?? [0, 0]
  for (const [a, b] of sorted.slice(1)) {
    if (a > end) {
      total += end - start
      ;[start, end] = [a, b]
    } else end = Math.max(end, b)
  }
  return total + (end - start)
}

/**
 * Credibility ("Честность"), 0-100 %: 100 minus the weighted share of the session's time
 * spent under each kind of violation, whatever found it (browser, analysis, proctor).
 * The same second flagged twice for one kind (by the browser and by the analysis) counts once.
 */
export function credibilityOf(
  events: { type: string; start: number; end: number | null }[],
  sessionSeconds: number,
  weights: Record<string, number>
) {
  const byType = new Map<string, Interval[]>()
  for (const e of events) {
    const end = e.end !== null && e.end > e.start ? e.end : e.start + INSTANT_EVENT_SECONDS
    byType.set(e.type, [...(byType.get(e.type) ?? []), [e.start, end]])
  }
  const duration = Math.max(1, sessionSeconds)
  const breakdown: Record<string, { seconds: number; weight: number; penalty: number }> = {}
  let penalty = 0
  for (const [type, intervals] of byType) {
    const seconds = Math.min(duration, unionSeconds(intervals))
    const weight = weights[type] ?? DEFAULT_WEIGHTS[type] ?? 1
    const points = (100 * weight * seconds) / duration
    breakdown[type] = { seconds: Math.round(seconds * 10) / 10, weight, penalty: Math.round(points * 10) / 10 }
    penalty += points
  }
  const score = Math.max(0, Math.min(100, 100 - penalty))
  return { score: Math.round(score * 10) / 10, breakdown, sessionSeconds: Math.round(duration) }
}

/** Recomputes and stores a session's credibility and its breakdown from everything recorded so far. */
export async function computeCredibility(sessionId: number) {
  const session = await ProctoringSession.findOrFail(sessionId)
  if (!session.startedAt) return null
  const exam = await Exam.findOrFail(session.examId)
  const origin = session.startedAt.toMillis()
  /* While the exam runs, its length is up to now. */
  const endMs = (session.endedAt ?? (session.isOpen ? DateTime.now() : (session.lastSeenAt ?? session.startedAt))).toMillis()
  const events = await ProctoringEvent.query().where({ sessionId, isViolation: true })
  const attempts = new Map((await Attempt.query().where('sessionId', sessionId)).map((a) => [a.id, a.startedAt.toMillis()]))
  const seconds = (ms: number) => (ms - origin) / 1000
  /* Times are stored to the second; a finding with offsets into its attempt's recording is placed to the tenth (as the log shows it). */
  const at = (e: ProctoringEvent, offset: number | null, time: DateTime | null) => {
    const attemptStart = e.attemptId ? attempts.get(e.attemptId) : undefined
    if (attemptStart !== undefined && offset !== null) return seconds(attemptStart + offset * 1000)
    return time ? seconds(time.toMillis()) : null
  }
  const result = credibilityOf(
    events.map((e) => ({ type: e.type, start: at(e, e.offsetStart, e.startedAt)!, end: at(e, e.offsetEnd, e.endedAt) })),
    Math.max(seconds(endMs), ...events.map((e) => seconds((e.endedAt ?? e.startedAt).toMillis()))),
    { ...DEFAULT_WEIGHTS, ...exam.weights }
  )
  const stored: StoredCredibility = {
    ...result,
    passThreshold: exam.passThreshold,
    passed: result.score >= exam.passThreshold,
    /* What it was computed from, to tell when it is stale (see scoreOf). */
    events: events.length,
    weights: { ...DEFAULT_WEIGHTS, ...exam.weights },
    computedAt: DateTime.now().toISO(),
  }
  await db
    .from('proctoring_sessions')
    .where('id', sessionId)
    .update({ credibility: result.score, credibility_breakdown: JSON.stringify(stored) })
  return result
}

/** The credibility as stored with the session (credibility_breakdown). */
export type StoredCredibility = ReturnType<typeof credibilityOf> & {
  passThreshold: number
  passed: boolean
  events?: number
  weights?: Record<string, number>
  computedAt?: string
}

/** While an exam runs its length grows, so its score is refreshed at least this often (seconds). */
export const OPEN_SESSION_REFRESH_SECONDS = 5

/**
 * The score panel's figures: the stored credibility, recomputed first when it is stale (a
 * finding added since, the exam's weights or threshold changed, an exam still running whose
 * length has grown). Null while there is nothing to compute from yet: "not computed yet".
 */
export async function scoreOf(session: ProctoringSession, exam: Exam): Promise<StoredCredibility | null> {
  if (!session.startedAt) return null
  const stored = session.credibility === null ? null : (session.credibilityBreakdown as StoredCredibility | null)
  const [{ total }] = await db.from('events').where({ session_id: session.id, is_violation: true }).count('* as total')
  const events = Number(total)
  if (!stored && events === 0) return null
  const weights = { ...DEFAULT_WEIGHTS, ...exam.weights }
  const computedAt = stored?.computedAt ? DateTime.fromISO(stored.computedAt) : null
  const stale =
    !stored ||
    !computedAt ||
    stored.events !== events ||
    stored.passThreshold !== exam.passThreshold ||
    Object.entries(weights).some(([kind, weight]) => stored.weights?.[kind] !== weight) ||
    (session.isOpen && DateTime.now().diff(computedAt).as('seconds') >= OPEN_SESSION_REFRESH_SECONDS)
  if (!stale) return stored
  await computeCredibility(session.id)
  await session.refresh()
  return session.credibilityBreakdown as StoredCredibility | null
}
