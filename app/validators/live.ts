import vine from '@vinejs/vine'
import { detailsProblem, strictObject } from '#validators/rules'
import { SOURCES } from '#services/live/sfu'
import { MESSAGE_MAX_LENGTH } from '#actions/live/messages'
import { STOP_NOTE_MAX_LENGTH } from '#actions/live/stop_session'

/*
| Live video's signalling (issue 12): what the student's page and the proctor's live page send.
| mediasoup checks the WebRTC parameters themselves; here they are bounded in size and shape.
*/

const WEBRTC_LIMITS = { maxBytes: 16_384, maxDepth: 6, maxKeys: 64, maxKeyLength: 64, maxStringLength: 512, maxItems: 64 }

const boundedParameters = vine.createRule(
  (value, _options, field) => {
    if (!field.isValidDataType) return
    const problem = detailsProblem(value, WEBRTC_LIMITS)
    if (problem) field.report(`The ${field.name} field is refused: ${problem}`, 'details', field)
  },
  { name: 'webrtcParameters' }
)

const parameters = () => vine.record(vine.any()).use(boundedParameters())
const peerId = () => vine.string().uuid()
const objectId = () => vine.string().uuid()

export const liveTransportValidator = vine.create(strictObject({ peerId: peerId() }))
export const liveWatchValidator = vine.create(strictObject({ session: vine.string().maxLength(64) }))
export const liveStaffTransportValidator = vine.create(strictObject({ peerId: peerId(), session: vine.string().maxLength(64) }))
export const liveConnectValidator = vine.create(strictObject({ peerId: peerId(), transportId: objectId(), dtlsParameters: parameters() }))
export const liveProduceValidator = vine.create(
  strictObject({
    peerId: peerId(),
    transportId: objectId(),
    kind: vine.enum(['video']),
    source: vine.enum(SOURCES),
    rtpParameters: parameters(),
  })
)
export const liveConsumeValidator = vine.create(
  strictObject({
    peerId: peerId(),
    transportId: objectId(),
    session: vine.string().maxLength(64),
    source: vine.enum(SOURCES),
    rtpCapabilities: parameters(),
  })
)
export const liveConsumerValidator = vine.create(strictObject({ peerId: peerId(), consumerId: objectId(), large: vine.boolean().optional() }))
export const liveStudentMessageValidator = vine.create(strictObject({ text: vine.string().trim().minLength(1).maxLength(MESSAGE_MAX_LENGTH) }))
export const liveStaffMessageValidator = vine.create(
  vine.object({ text: vine.string().trim().minLength(1).maxLength(MESSAGE_MAX_LENGTH), kind: vine.enum(['chat', 'warning']) })
)
export const liveStopValidator = vine.create(vine.object({ reason: vine.string().trim().minLength(1).maxLength(STOP_NOTE_MAX_LENGTH) }))
export const livePickerValidator = vine.create(
  vine.object({
    exam: vine.number().withoutDecimals().min(1).optional(),
    group: vine.number().withoutDecimals().min(1).optional(),
    q: vine.string().trim().maxLength(100).optional(),
    page: vine.number().withoutDecimals().min(1).max(100_000).optional(),
  })
)
