import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import Exam from '#models/exam'
import Attempt from '#models/attempt'
import ProctoringEvent from '#models/proctoring_event'
import ProctoringSession from '#models/proctoring_session'
import AppError from '#exceptions/app_error'
import { closeSession } from '#actions/sessions/close_session'
import { enqueue } from '#services/queue'
import { computeCredibility } from '#actions/reviews/compute_credibility'

/** What the student's browser reports (S7). Those the exam counts (all, unless it names some) count against its limit. */
export const BROWSER_EVENTS = [
  'focus_lost',
  'tab_hidden',
  'fullscreen_exit',
  'copy',
  'cut',
  'paste',
  'right_click',
  'screen_share_stopped',
  'camera_stopped',
  'camera_muted',
  'microphone_stopped',
  'microphone_muted',
  'second_monitor',
  'voice_detected',
  'network_lost',
  'phone_camera_lost',
] as const
export type BrowserEventType = (typeof BROWSER_EVENTS)[number]

export type BrowserEventInput = {
  clientEventId: string
  type: string
  /** How long ago it began, by the browser's clock: immune to a wrong clock on the student's PC. */
  agoMs: number
  durationMs?: number
  attempt?: number
  details?: Record<string, unknown>
}

/**
 * Stores one browser event once (a resent one is recognised by its client id) and counts
 * it. Crossing the exam's limit stops the session as "ПКН". Events arriving after the
 * session closed (sent late from an offline buffer) are stored but change nothing.
 */
export async function recordBrowserEvent(session: ProctoringSession, input: BrowserEventInput) {
  if (!(BROWSER_EVENTS as readonly string[]).includes(input.type)) throw AppError.badRequest('EVENT_TYPE_INVALID')
  if (!/^[A-Za-z0-9_-]{6,64}$/.test(input.clientEventId)) throw AppError.badRequest('EVENT_ID_INVALID')
  const exam = await Exam.findOrFail(session.examId)
  const now = DateTime.now()
  const startedAt = now.minus({ milliseconds: Math.max(0, Math.min(input.agoMs, 86_400_000)) })

  const outcome = await db.transaction(async (trx) => {
    const existing = await ProctoringEvent.query({ client: trx })
      .where({ sessionId: session.id, clientEventId: input.clientEventId })
      .first()
    await session.useTransaction(trx).refresh()
    if (existing) return { event: existing, duplicate: true, stopped: false }

    const attempt = input.attempt
      ? await Attempt.query({ client: trx }).where({ sessionId: session.id, number: input.attempt }).first()
      : null
    /* Only the kinds the exam counts move the counter; every event still weighs in the credibility. */
    const counts = session.status === 'in_progress' && exam.counts(input.type)
    const event = await ProctoringEvent.create(
      {
        sessionId: session.id,
        attemptId: attempt?.id ?? null,
        type: input.type,
        source: 'browser',
        isViolation: true,
        startedAt,
        endedAt: input.durationMs ? startedAt.plus({ milliseconds: input.durationMs }) : null,
        details: input.details ?? null,
        clientEventId: input.clientEventId,
      },
      { client: trx }
    )
    if (!counts) return { event, duplicate: false, stopped: false }
    session.violationCount += 1
    await session.save()
    const overLimit = exam.violationLimit > 0 && session.violationCount > exam.violationLimit
    const stopped = overLimit && (await closeSession(session, 'stopped', 'violation_limit', trx))
    return { event, duplicate: false, stopped }
  })
  if (outcome.stopped) {
    await enqueue('process_session', { sessionId: session.id }, { uniqueKey: `process_session:${session.id}` })
  }
  if (!outcome.duplicate) await computeCredibility(session.id)
  return { ...outcome, violations: session.violationCount, limit: exam.violationLimit, status: session.status }
}
