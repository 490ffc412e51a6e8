import type { HttpContext } from '@adonisjs/core/http'
import vine from '@vinejs/vine'
import { startAttempt } from '#actions/sessions/start_attempt'
import { finishSession } from '#actions/sessions/finish_session'
import { storeChunk } from '#actions/recordings/store_chunk'
import { storeIdentityPhoto } from '#actions/sessions/store_identity_photo'

const finishValidator = vine.create({
  attempt: vine.number().withoutDecimals().min(1),
  chunks: vine
    .object({
      webcam: vine.number().withoutDecimals().min(0).optional(),
      screen: vine.number().withoutDecimals().min(0).optional(),
      phone: vine.number().withoutDecimals().min(0).optional(),
    })
    .optional(),
})

function numberHeader(value: string | undefined) {
  return value === undefined || value === '' ? undefined : Number(value)
}

/** The student's browser talks to these, with the session's bearer token. */
export default class SessionApiController {
  async startAttempt({ proctoringSession, request, response }: HttpContext) {
    const attempt = await startAttempt(proctoringSession, { userAgent: request.header('user-agent'), ip: request.ip() })
    return response.created({ attempt: attempt.number, status: proctoringSession.status })
  }

  async storeChunk({ proctoringSession, params, request, response }: HttpContext) {
    const result = await storeChunk(
      proctoringSession,
      {
        stream: String(params.stream),
        seq: Number(params.seq),
        attempt: Number(request.header('x-attempt')),
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

  async storeFacePhoto({ proctoringSession, request, response }: HttpContext) {
    const check = await storeIdentityPhoto(proctoringSession, 'face', request.header('content-type'), request.request)
    return response.created({ id: check.id, result: check.result })
  }

  async finish({ proctoringSession, request, response }: HttpContext) {
    const { attempt, chunks } = await request.validateUsing(finishValidator)
    await finishSession(proctoringSession, attempt, chunks ?? {})
    return response.ok({ status: proctoringSession.status })
  }
}
