import vine from '@vinejs/vine'
import { details, jsonNumber, plainText, positiveInt, strictObject } from '#validators/rules'

/*
| What the student's exam page and the phone page may send (S2-S11). Every body is JSON and
| every schema refuses keys it does not name; the bounds are what a real page can produce.
*/

/** Attempts of one session: a reload or a reconnect starts the next one. */
export const MAX_ATTEMPTS = 10_000
/**
 * Chunks one stream of one attempt can have: a chunk every 3 s for 48 hours. The action
 * bounds it further by how long the attempt has lasted (see finish_session.ts).
 */
export const MAX_CHUNKS_PER_STREAM = 57_600
/** An event lasts at most this long (an exam with its reconnects is a few hours). */
export const MAX_EVENT_DURATION_MS = 12 * 3_600_000
/** How late an event may be sent after it began (kept in the browser while offline). */
export const MAX_EVENT_AGE_MS = 7 * 86_400_000

const chunkCount = () => jsonNumber().withoutDecimals().min(0).max(MAX_CHUNKS_PER_STREAM).optional()
const totals = strictObject({ webcam: chunkCount(), screen: chunkCount(), phone: chunkCount() }).optional()

/** Starting an attempt, giving consent, a heartbeat: nothing to say (`{}` or no body at all). */
export const emptyBodyValidator = vine.create(strictObject({}))

/** The page stopped an attempt's recorders: how many chunks each stream made. */
export const attemptTotalsValidator = vine.create(strictObject({ chunks: totals }))

/** The student pressed "finish": the last attempt and its chunk totals. */
export const finishValidator = vine.create(
  strictObject({ attempt: positiveInt(MAX_ATTEMPTS), chunks: totals })
)

/** One browser event (S7). Its type and id are checked by the action, with their own codes. */
export const eventValidator = vine.create(
  strictObject({
    clientEventId: plainText(64),
    type: plainText(40),
    agoMs: jsonNumber().min(0).max(MAX_EVENT_AGE_MS),
    durationMs: jsonNumber().min(0).max(MAX_EVENT_DURATION_MS).optional(),
    attempt: positiveInt(MAX_ATTEMPTS).optional(),
    details: details().optional(),
  })
)

/** One result of the system check (S2). Item and error code are checked by the action. */
export const checkValidator = vine.create(
  strictObject({
    item: plainText(40),
    passed: vine.boolean({ strict: true }),
    errorCode: plainText(40).optional().nullable(),
    details: details().optional(),
  })
)
