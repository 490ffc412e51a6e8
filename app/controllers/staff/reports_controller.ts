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
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import IdentityCheck from '#models/identity_check'
import { dataDir } from '#config/paths'
import { PHOTO_MIME, photoFormat } from '#services/image_header'
import { identityPanel } from '#actions/reviews/identity_panel'
import { createHash } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import Exam from '#models/exam'
import AttemptModel from '#models/attempt'
import { idParam } from '#validators/request_input'
import { assertSessionInScope } from '#services/staff_scope'
import { errors as vineErrors } from '@vinejs/vine'
import { validateForm } from '#validators/request_input'
import { incidentValidator, staffPath } from '#validators/incidents'
import { addIncident, INCIDENT_KINDS, sessionSeconds } from '#actions/reviews/incidents'
import { scoreOf, type StoredCredibility } from '#actions/reviews/compute_credibility'
import { buildViolationLog, examTime, lengthText, loadLogEvents } from '#actions/reviews/violation_log'
import type Attempt from '#models/attempt'

function actorOf(ctx: HttpContext): Actor {
  const user = ctx.auth.use('web').user!
  return { userId: user.id, name: user.fullName, iin: user.iin, role: user.role }
}

type IncidentFormState = { kind: string; start: string; end: string; comment: string; fieldErrors: Record<string, string> }
const emptyIncidentForm = (): IncidentFormState => ({ kind: 'incident', start: '', end: '', comment: '', fieldErrors: {} })

function isPlainForm(ctx: HttpContext) {
  return !ctx.request.header('hx-request') && ctx.request.accepts(['html', 'json']) === 'html'
}

/** What the live stream compares to tell that the page's status, log or score changed. */
function liveVersion(session: ProctoringSession, score: StoredCredibility | null, counted: { count: number; last: number }) {
  const { computedAt: _at, ...figures } = score ?? {}
  const short = (text: string) => createHash('sha1').update(text).digest('hex').slice(0, 12)
  return {
    status: short(`${session.status}|${session.endReason ?? ''}`),
    log: short(`${counted.count}|${counted.last}`),
    score: short(score ? JSON.stringify(figures) : 'none'),
  }
}

/** Roles whose opening of a report marks it as viewed. */
const MARKS_VIEWED: string[] = ['proctor', 'admin']

/** Exam time 0: when the session began (its first attempt, before it is marked started). */
export function originOf(session: ProctoringSession, attempts: Attempt[]) {
  return session.startedAt ?? attempts[0]?.startedAt ?? session.createdAt
}

/** The violation log of a session, in exam time (see violation_log.ts), with what the live stream compares. */
export async function logOf(session: ProctoringSession, attempts: Attempt[]) {
  const loaded = await loadLogEvents(session.id, attempts)
  return { log: buildViolationLog(loaded.events, originOf(session, attempts), attempts), count: loaded.count, last: loaded.last }
}

/** Helpers the report's views format times with. */
export const reportFormat = { examTime, lengthText }

/** The detailed report of one session (seed 003): players, attempts, findings. */
export default class ReportsController {
  async show(ctx: HttpContext) {
    const session = await this.load(ctx)
    /* "Viewed" tells proctors which reports someone has reviewed; an auditor's look is not a review. */
    if (!session.viewedAt && MARKS_VIEWED.includes(ctx.auth.use('web').user!.role)) {
      session.viewedAt = DateTime.now()
      await session.save()
    }
    await recordAction(actorOf(ctx), {
      action: 'report.view',
      subjectType: 'session',
      subjectId: session.publicId,
      ip: ctx.request.ip(),
    })
    return this.render(ctx, session)
  }

  /** A session with all the report shows, in the viewer's scope. */
  private async load(ctx: HttpContext) {
    const session = await ProctoringSession.query()
      .where('publicId', String(ctx.params.id))
      .preload('exam')
      .preload('candidate', (candidate) => candidate.preload('group'))
      .preload('attempts', (attempts) => attempts.orderBy('number', 'asc'))
      .preload('recordings')
      .first()
    if (!session) throw AppError.notFound('SESSION_NOT_FOUND')
    await assertSessionInScope(ctx.auth.use('web').user!, session)
    return session
  }

  private async render(ctx: HttpContext, session: ProctoringSession, incident: IncidentFormState = emptyIncidentForm()) {
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
    const score = await scoreOf(session, session.exam)
    const { log, count, last } = await logOf(session, session.attempts)
    const length = await sessionSeconds(session)
    return ctx.view.render('pages/staff/report', {
      session,
      origin,
      attempts,
      log,
      score,
      fmt: reportFormat,
      progress: await processingProgress(session),
      canEdit: MARKS_VIEWED.includes(ctx.auth.use('web').user!.role),
      incident: { ...incident, kinds: INCIDENT_KINDS, max: length ? Math.ceil(length.seconds) : 0 },
      liveVersion: Object.values(liveVersion(session, score, { count, last })).join('.'),
      identity: await identityPanel(session),
    })
  }

  /**
   * POST /staff/sessions/:id/incidents (proctors, admins): a proctor marks a range of the exam.
   * A plain form post with a mistake gets the report back with the form kept and the errors
   * beside its fields; HTMX and JSON clients get 422 VALIDATION_FAILED.
   */
  async storeIncident(ctx: HttpContext) {
    const session = await this.load(ctx)
    try {
      const input = await validateForm(ctx.request, incidentValidator)
      const event = await addIncident(session, input, actorOf(ctx), ctx.request.ip())
      if (!isPlainForm(ctx)) return ctx.response.created({ id: event.id, type: event.type, source: event.source })
      ctx.session.flash('incident', { kind: event.type, start: input.start, end: input.end })
      return ctx.response.redirect(staffPath(input.back) ?? `/staff/sessions/${session.publicId}#incident-title`)
    } catch (error) {
      if (!(error instanceof vineErrors.E_VALIDATION_ERROR) || !isPlainForm(ctx)) throw error
      const body = ctx.request.body()
      const fieldErrors: Record<string, string> = {}
      for (const message of error.messages as { field: string; rule: string }[]) fieldErrors[message.field] ??= message.rule
      ctx.response.status(422)
      const text = (key: string) => (typeof body[key] === 'string' ? String(body[key]).slice(0, 600) : '')
      return this.render(ctx, session, { kind: text('kind'), start: text('start'), end: text('end'), comment: text('comment'), fieldErrors })
    }
  }

  /**
   * Server-sent events, once a second until the session has ended and its processing is done:
   * the processing progress ("progress"), and whatever of the status badge, the violation log's
   * rows and the score panel changed since the page (or the last push) showed them ("live", as
   * HTML rendered here), so the report follows a running exam without a reload.
   */
  async progress(ctx: HttpContext) {
    const { params, request, response, i18n, auth, view } = ctx
    const session = await ProctoringSession.findBy('publicId', String(params.id))
    if (!session) throw AppError.notFound('SESSION_NOT_FOUND')
    await assertSessionInScope(auth.use('web').user!, session)
    const exam = await Exam.findOrFail(session.examId)
    /* The versions the page was rendered with (see liveVersion); anything else is pushed. */
    const [status = '', log = '', score = ''] = String(request.qs().v ?? '').split('.')
    let known = { status, log, score }
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

      const counted = await db
        .from('events')
        .where({ session_id: session.id, is_violation: true })
        .count('* as count')
        .max('id as last')
        .first()
      const current = await scoreOf(session, exam)
      const version = liveVersion(session, current, { count: Number(counted?.count ?? 0), last: Number(counted?.last ?? 0) })
      const live: Record<string, string> = {}
      if (version.status !== known.status) live.status = await view.render('partials/report_status', { session })
      if (version.log !== known.log) {
        const attempts = await AttemptModel.query().where('sessionId', session.id).orderBy('number', 'asc')
        live.log = await view.render('partials/report_log_rows', { log: (await logOf(session, attempts)).log, fmt: reportFormat })
      }
      if (version.score !== known.score) {
        live.score = await view.render('partials/report_score', { score: current, fmt: reportFormat })
        live.credibility = current ? `${current.score} %` : i18n.t('messages.review.score_not_computed')
      }
      if (Object.keys(live).length) {
        stream.write(`event: live\ndata: ${JSON.stringify({ ...live, version: [version.status, version.log, version.score].join('.') })}\n\n`)
      }
      known = version
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
   * GET /staff/photos/:id: an identity photo (face or ID document) for the report, to staff who
   * may see its session; each viewing is archived like a recording's before a byte is sent.
   */
  async photo(ctx: HttpContext) {
    const id = idParam(ctx.params.id)
    const check = id === null ? null : await IdentityCheck.find(id)
    const owner = check ? await ProctoringSession.find(check.sessionId) : null
    if (!check || !owner) throw AppError.notFound('PHOTO_NOT_FOUND')
    await assertSessionInScope(ctx.auth.use('web').user!, owner, 'PHOTO_NOT_FOUND')
    const path = join(dataDir, check.photoPath)
    const bytes = await readFile(path).catch(() => null)
    if (!bytes) throw AppError.notFound('PHOTO_NOT_FOUND')
    await recordAccess(actorOf(ctx), {
      subjectType: 'photo',
      subjectId: check.id,
      download: false,
      range: null,
      details: { session: owner.publicId, kind: check.kind },
      ip: ctx.request.ip(),
    })
    const format = photoFormat(bytes)
    ctx.response.header('Content-Type', format ? PHOTO_MIME[format] : 'application/octet-stream')
    ctx.response.header('Cache-Control', 'private, no-store')
    ctx.response.header('X-Content-Type-Options', 'nosniff')
    return ctx.response.send(bytes)
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
