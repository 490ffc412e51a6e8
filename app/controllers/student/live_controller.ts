import type { HttpContext } from '@adonisjs/core/http'
import AppError from '#exceptions/app_error'
import { idParam, validateJson } from '#validators/request_input'
import { liveConnectValidator, liveProduceValidator, liveStudentMessageValidator, liveTransportValidator } from '#validators/live'
import { newPeerId, type Source } from '#services/live/sfu'
import { openStream, sfuCall } from '#services/live/live'
import { iceSettingsFor } from '#services/live/turn'
import { acknowledgeWarning, messagesOf, sendStudentMessage } from '#actions/live/messages'

/**
 * The student's side of live proctoring (issue 12): an event stream (chat, warnings, a stop, a
 * restarted SFU), a send transport, and the webcam, screen (and phone camera, from the phone
 * page) published on it. A student can only produce, and only the session's own streams:
 * nothing here consumes.
 */
export default class LiveController {
  async events({ studentSession: session, studentRole, proctoringSession, response }: HttpContext) {
    const peerId = newPeerId()
    const sources: Source[] = studentRole === 'phone' ? ['phone'] : ['webcam', 'screen']
    const { epoch } = await sfuCall('openPeer', { peerId, role: 'student', sessionId: session.id, examId: proctoringSession.examId, sources })
    openStream(response, {
      /* The page (and a reload's overlap), or the phone page. */
      owner: `${studentRole}:${session.id}`,
      most: 2,
      channels: [`peer:${peerId}`, `session:${session.id}`, 'all'],
      first: { type: 'hello', peerId, epoch, examId: proctoringSession.examId, messages: studentRole === 'phone' ? [] : await messagesOf(session.id) },
      onClose: () => void sfuCall('closePeer', { peerId }).catch(() => undefined),
    })
  }

  async transport({ studentSession: session, request, response }: HttpContext) {
    const { peerId } = await validateJson(request, liveTransportValidator)
    const transport = await sfuCall('createTransport', { peerId, sessionId: session.id, examId: 0 })
    return response.ok({ ...transport, ...iceSettingsFor(`s${session.id}`) })
  }

  async connect({ studentSession: session, request, response }: HttpContext) {
    const input = await validateJson(request, liveConnectValidator)
    return response.ok(await sfuCall('connect', { ...input, sessionId: session.id }))
  }

  async produce({ studentSession: session, request, response }: HttpContext) {
    const input = await validateJson(request, liveProduceValidator)
    return response.created(await sfuCall('produce', { ...input, sessionId: session.id }))
  }

  async sendMessage({ studentSession: session, request, response }: HttpContext) {
    const { text } = await validateJson(request, liveStudentMessageValidator)
    return response.created(await sendStudentMessage(session.id, text))
  }

  async acknowledge({ studentSession: session, params, response }: HttpContext) {
    const id = idParam(params.message)
    if (id === null) throw AppError.notFound('LIVE_MESSAGE_NOT_FOUND')
    return response.ok(await acknowledgeWarning(session, id))
  }
}
