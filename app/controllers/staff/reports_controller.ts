import type { HttpContext } from '@adonisjs/core/http'
import { DateTime } from 'luxon'
import ProctoringSession from '#models/proctoring_session'
import Recording from '#models/recording'
import AppError from '#exceptions/app_error'
import { recordAction, type Actor } from '#actions/audit/record_action'
import { recordAccess } from '#actions/audit/record_access'
import { parseRange, recordingSource } from '#services/recording_source'
import { processingProgress } from '#actions/reviews/processing_progress'
import { PassThrough } from 'node:stream'
import { idParam } from '#validators/request_input'
import { assertSessionInScope } from '#services/staff_scope'
import { buildViolationLog, examTime, lengthText } from '#actions/reviews/violation_log'
import type Attempt from '#models/attempt'
import type ProctoringEvent from '#models/proctoring_event'

function actorOf(ctx: HttpContext): Actor {
  const user = ctx.auth.use('web').user!
  return { userId: user.id, name: user.fullName, iin: user.iin, role: user.role }
}

/** Roles whose opening of a report marks it as viewed. */
const MARKS_VIEWED: string[] = ['proctor', 'admin']

/** Exam time 0: when the session began (its first attempt, before it is marked started). */
export function originOf(session: ProctoringSession, attempts: Attempt[]) {
  return session.startedAt ?? attempts[0]?.startedAt ?? session.createdAt
}

/** The violation log of a session's events, in exam time (see violation_log.ts). */
export function logOf(session: ProctoringSession, attempts: Attempt[], events: ProctoringEvent[]) {
  const numbers = new Map(attempts.map((a) => [a.id, a.number]))
  return buildViolationLog(
    events
      .filter((e) => e.isViolation)
      .map((e) => ({
        type: e.type,
        source: e.source,
        startedAt: e.startedAt,
        endedAt: e.endedAt,
        attempt: e.attemptId ? (numbers.get(e.attemptId) ?? null) : null,
        comment: typeof e.details?.comment === 'string' ? e.details.comment : null,
      })),
    originOf(session, attempts),
    attempts
  )
}

/** Helpers the report's views format times with. */
export const reportFormat = { examTime, lengthText }

/** The detailed report of one session (seed 003): players, attempts, findings. */
export default class ReportsController {
  async show(ctx: HttpContext) {
    const { params, view, request } = ctx
    const session = await ProctoringSession.query()
      .where('publicId', String(params.id))
      .preload('exam')
      .preload('candidate', (candidate) => candidate.preload('group'))
      .preload('attempts', (attempts) => attempts.orderBy('number', 'asc'))
      .preload('recordings')
      .preload('events', (events) => events.orderBy('startedAt', 'asc'))
      .first()
    if (!session) throw AppError.notFound('SESSION_NOT_FOUND')
    await assertSessionInScope(ctx.auth.use('web').user!, session)

    /* "Viewed" tells proctors which reports someone has reviewed; an auditor's look is not a review. */
    if (!session.viewedAt && MARKS_VIEWED.includes(ctx.auth.use('web').user!.role)) {
      session.viewedAt = DateTime.now()
      await session.save()
    }
    await recordAction(actorOf(ctx), {
      action: 'report.view',
      subjectType: 'session',
      subjectId: session.publicId,
      ip: request.ip(),
    })
    const origin = originOf(session, session.attempts)
    const now = DateTime.now()
    const attempts = session.attempts.map((attempt) => ({
      attempt,
      webcam: session.recordings.find((r) => r.attemptId === attempt.id && r.stream === 'webcam'),
      screen: session.recordings.find((r) => r.attemptId === attempt.id && r.stream === 'screen'),
      phone: session.recordings.find((r) => r.attemptId === attempt.id && r.stream === 'phone'),
      /** Seconds from exam time 0 to this attempt's start, and its length (so far, while it runs). */
      offset: Math.max(0, attempt.startedAt.diff(origin).as('seconds')),
      duration: Math.max(0, (attempt.endedAt ?? now).diff(attempt.startedAt).as('seconds')),
    }))
    const log = logOf(session, session.attempts, session.events)
    return view.render('pages/staff/report', {
      session,
      origin,
      attempts,
      log,
      fmt: reportFormat,
      progress: await processingProgress(session),
    })
  }

  /** Server-sent events: the processing progress of one session, once a second, until it is done. */
  async progress({ params, request, response, i18n, auth }: HttpContext) {
    const session = await ProctoringSession.findBy('publicId', String(params.id))
    if (!session) throw AppError.notFound('SESSION_NOT_FOUND')
    await assertSessionInScope(auth.use('web').user!, session)
    const stream = new PassThrough()
    let timer: NodeJS.Timeout | undefined
    const stop = () => {
      clearTimeout(timer)
      stream.end()
    }
    const tick = async () => {
      await session.refresh()
      const progress = await processingProgress(session)
      const errors = progress.errors.map((code) => ({ code, message: i18n.t(`errors.${code}`) }))
      stream.write(`event: progress\ndata: ${JSON.stringify({ ...progress, errors })}\n\n`)
      if (progress.done) return stop()
      timer = setTimeout(() => void tick().catch(stop), 1000)
    }
    request.request.once('close', stop)
    response.header('Content-Type', 'text/event-stream; charset=utf-8')
    response.header('Cache-Control', 'no-store')
    response.header('X-Accel-Buffering', 'no')
    void tick().catch(stop)
    return response.stream(stream)
  }

  /**
   * Streams a recording to an allowed user, with byte ranges so players can seek. Every
   * access, whatever its range, is archived before a byte is sent: once per viewing, and
   * every download (see record_access.ts).
   */
  async media(ctx: HttpContext) {
    const { params, request, response } = ctx
    const id = idParam(params.id)
    const recording = id === null ? null : await Recording.find(id)
    if (!recording) throw AppError.notFound('RECORDING_NOT_FOUND')
    const owner = await ProctoringSession.find(recording.sessionId)
    if (!owner) throw AppError.notFound('RECORDING_NOT_FOUND')
    await assertSessionInScope(ctx.auth.use('web').user!, owner, 'RECORDING_NOT_FOUND')
    const source = await recordingSource(recording)
    const download = request.input('download') === '1'
    const rangeHeader = request.header('range')
    const range = parseRange(rangeHeader, source.size)
    if (range === null) {
      response.header('Content-Range', `bytes */${source.size}`)
      throw new AppError('RANGE_INVALID', 416)
    }
    const session = await ProctoringSession.find(recording.sessionId)
    await recordAccess(actorOf(ctx), {
      subjectType: 'recording',
      subjectId: recording.id,
      download,
      range: rangeHeader ?? null,
      details: { session: session?.publicId, stream: recording.stream },
      ip: request.ip(),
    })
    const { start, end } = range ?? { start: 0, end: Math.max(0, source.size - 1) }
    response.header('Accept-Ranges', 'bytes')
    response.header('Content-Type', source.contentType)
    response.header('Cache-Control', 'private, no-store')
    if (download) {
      const extension = source.contentType === 'video/mp4' ? 'mp4' : 'webm'
      response.header('Content-Disposition', `attachment; filename="${recording.stream}-${recording.id}.${extension}"`)
    }
    if (source.size === 0) return response.status(200).send('')
    response.header('Content-Length', String(end - start + 1))
    if (range) {
      response.status(206)
      response.header('Content-Range', `bytes ${start}-${end}/${source.size}`)
    }
    return response.stream(source.read(start, end))
  }
}
