import type { HttpContext } from '@adonisjs/core/http'
import AppError from '#exceptions/app_error'
import { startAttempt } from '#actions/sessions/start_attempt'
import { sessionState } from '#actions/sessions/session_state'
import { finishSession, recordChunkTotals } from '#actions/sessions/finish_session'
import { storeChunk } from '#actions/recordings/store_chunk'
import { drainBody } from '#services/durable_file'
import { recordBrowserEvent } from '#actions/sessions/record_event'
import { recordCheck } from '#actions/sessions/record_check'
import { giveConsent, submitDocumentPhoto, submitFacePhoto } from '#actions/sessions/identity'
import { idParam, requireBodyType, validateJson, wholeNumberParam } from '#validators/request_input'
import {
  attemptTotalsValidator,
  checkValidator,
  emptyBodyValidator,
  eventValidator,
  finishValidator,
  MAX_ATTEMPTS,
} from '#validators/student'

const SPEED_TEST_MAX_BYTES = 4 * 1024 * 1024

function numberHeader(value: string | undefined) {
  return value === undefined || value === '' ? undefined : Number(value)
}

/** The student's browser (and the phone-camera page) talk to these, with the session's bearer token. */
export default class SessionApiController {
  async startAttempt({ proctoringSession, request, response }: HttpContext) {
    await validateJson(request, emptyBodyValidator)
    const attempt = await startAttempt(proctoringSession, { userAgent: request.header('user-agent'), ip: request.ip() })
    return response.created({ attempt: attempt.number, status: proctoringSession.status })
  }

  /** The page's sign of life, answered with what the page must know (status, counts, phone). */
  async heartbeat({ studentSession: session, request, response }: HttpContext) {
    await validateJson(request, emptyBodyValidator)
    /* The middleware has just read the session: no need to read it again. */
    return response.ok(await sessionState(session))
  }

  async storeChunk({ studentSession, studentRole, params, request, response }: HttpContext) {
    if (studentRole === 'phone' && params.stream !== 'phone') throw AppError.forbidden('SESSION_TOKEN_INVALID')
    const result = await storeChunk(
      studentSession,
      {
        stream: String(params.stream),
        /* Plain digits only: "1e3", " 1" and "1.0" are not chunk or attempt numbers. */
        seq: wholeNumberParam(params.seq) ?? Number.NaN,
        attempt: idParam(request.header('x-attempt')) ?? Number.NaN,
        sha256: request.header('x-chunk-sha256')?.toLowerCase(),
        contentType: request.header('content-type'),
        contentLength: numberHeader(request.header('content-length')),
      },
      request.request
    )
    return response.status(result.duplicate ? 200 : 201).send({
      stored: true,
      duplicate: result.duplicate,
      seq: result.chunk.seq,
      sha256: result.chunk.sha256,
    })
  }

  /** The page stopped an attempt's recorders (reconnect, stop): how many chunks each stream made. */
  async attemptTotals({ proctoringSession, params, request, response }: HttpContext) {
    const attempt = idParam(params.number, MAX_ATTEMPTS)
    if (attempt === null) throw AppError.notFound('ATTEMPT_NOT_FOUND')
    const { chunks } = await validateJson(request, attemptTotalsValidator)
    await recordChunkTotals(proctoringSession, attempt, chunks ?? {})
    return response.ok({ recorded: true })
  }

  async recordEvent({ proctoringSession, request, response }: HttpContext) {
    const input = await validateJson(request, eventValidator)
    const outcome = await recordBrowserEvent(proctoringSession, input)
    return response.status(outcome.duplicate ? 200 : 201).send({
      stored: true,
      duplicate: outcome.duplicate,
      violations: outcome.violations,
      limit: outcome.limit,
      status: outcome.status,
      stopped: outcome.stopped,
    })
  }

  async recordCheck({ proctoringSession, request, response }: HttpContext) {
    const input = await validateJson(request, checkValidator)
    await recordCheck(proctoringSession, input, request.header('user-agent'))
    return response.created({ recorded: true })
  }

  /** Upload speed test (S2): the browser times sending up to 4 MiB; the bytes are dropped. */
  async speedTest({ request, response }: HttpContext) {
    requireBodyType(request, ['application/octet-stream'])
    const tooLarge = () => new AppError('BODY_TOO_LARGE', 413, { max: SPEED_TEST_MAX_BYTES })
    if (Number(request.header('content-length') ?? 0) > SPEED_TEST_MAX_BYTES) throw tooLarge()
    let bytes = 0
    const body = request.request[Symbol.asyncIterator]() as AsyncIterator<Buffer>
    for (let piece = await body.next(); !piece.done; piece = await body.next()) {
      bytes += piece.value.length
      if (bytes > SPEED_TEST_MAX_BYTES) {
        /* Read the rest and drop it, so the browser gets its 413 instead of a reset connection. */
        if (!(await drainBody(body))) request.request.destroy()
        throw tooLarge()
      }
    }
    return response.ok({ bytes })
  }

  async consent({ proctoringSession, request, response }: HttpContext) {
    await validateJson(request, emptyBodyValidator)
    await giveConsent(proctoringSession)
    return response.ok({ consent: true })
  }

  async storeFacePhoto({ proctoringSession, request, response, i18n }: HttpContext) {
    const check = await submitFacePhoto(proctoringSession, request.header('content-type'), request.request)
    return response.created({
      id: check.id,
      result: check.result,
      reason: check.reason,
      message: check.reason ? i18n.t(`errors.FACE_${check.reason}`) : null,
    })
  }

  async storeDocumentPhoto({ proctoringSession, request, response }: HttpContext) {
    const check = await submitDocumentPhoto(proctoringSession, request.header('content-type'), request.request)
    return response.created({ id: check.id, result: check.result })
  }

  async finish({ proctoringSession, request, response }: HttpContext) {
    const { attempt, chunks } = await validateJson(request, finishValidator)
    await finishSession(proctoringSession, attempt, chunks ?? {})
    return response.ok({ status: proctoringSession.status })
  }
}
