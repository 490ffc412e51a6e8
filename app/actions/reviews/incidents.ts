import { DateTime } from 'luxon'
import { errors as vineErrors } from '@vinejs/vine'
import db from '@adonisjs/lucid/services/db'
import Attempt from '#models/attempt'
import ProctoringEvent from '#models/proctoring_event'
import ProctoringSession from '#models/proctoring_session'
import { appendEntry, type Actor } from '#actions/audit/record_action'
import { computeCredibility, DEFAULT_WEIGHTS } from '#actions/reviews/compute_credibility'

/** The kinds a proctor may mark: every kind the score weighs ('incident' unless another fits). */
export const INCIDENT_KINDS = Object.keys(DEFAULT_WEIGHTS)

/** Longest comment on an incident. */
export const INCIDENT_COMMENT_MAX = 500

export type IncidentInput = { kind?: string | null; start: number; end: number; comment?: string | null }

/** How long the session has lasted so far, in exam time (seconds); null before it began. */
export async function sessionSeconds(session: ProctoringSession) {
  const attempts = await Attempt.query().where('sessionId', session.id).orderBy('number')
  const origin = session.startedAt ?? attempts[0]?.startedAt
  if (!origin) return null
  const end = session.endedAt ?? (session.isOpen ? DateTime.now() : (session.lastSeenAt ?? DateTime.now()))
  return { origin, seconds: Math.max(0, end.diff(origin).as('seconds')), attempts }
}

function rangeError(field: 'start' | 'end', max: number) {
  return new vineErrors.E_VALIDATION_ERROR([
    { field, rule: 'incidentRange', message: `The ${field} must lie within the session (0 to ${Math.floor(max)} s)`, meta: { max } },
  ])
}

/**
 * A proctor marks a range of the exam (P3): stored as an event from the source 'proctor', so
 * it shows in the log and on the timeline, counts in the credibility (recomputed here) and is
 * archived with what was marked. A range outside the session is refused and changes nothing.
 */
export async function addIncident(session: ProctoringSession, input: IncidentInput, actor: Actor, ip: string) {
  const length = await sessionSeconds(session)
  const max = length ? Math.ceil(length.seconds) : 0
  if (!length) throw rangeError('start', 0)
  if (input.start > max) throw rangeError('start', max)
  if (input.end > max || input.end < input.start) throw rangeError('end', max)
  const kind = input.kind ?? 'incident'
  const comment = input.comment?.trim() || null
  const startedAt = length.origin.plus({ milliseconds: Math.round(input.start * 1000) })
  const endedAt = length.origin.plus({ milliseconds: Math.round(input.end * 1000) })
  const at = startedAt.toMillis()
  const attempt = length.attempts.find((a) => a.startedAt.toMillis() <= at && (a.endedAt === null || at <= a.endedAt.toMillis()))

  const event = await db.transaction(async (trx) => {
    const created = await ProctoringEvent.create(
      {
        sessionId: session.id,
        attemptId: attempt?.id ?? null,
        type: kind,
        source: 'proctor',
        isViolation: true,
        startedAt,
        endedAt: endedAt > startedAt ? endedAt : null,
        /* Seconds into the attempt's recordings, to the tenth (the times above are kept to the second). */
        offsetStart: attempt ? Math.max(0, (at - attempt.startedAt.toMillis()) / 1000) : null,
        offsetEnd: attempt ? Math.max(0, (endedAt.toMillis() - attempt.startedAt.toMillis()) / 1000) : null,
        details: { comment, by: actor.userId },
      },
      { client: trx }
    )
    await appendEntry(
      trx,
      actor,
      {
        action: 'incident.create',
        subjectType: 'session',
        subjectId: session.publicId,
        details: { event: created.id, kind, start: input.start, end: input.end, comment },
        ip,
      }
    )
    return created
  })
  await computeCredibility(session.id)
  return event
}
