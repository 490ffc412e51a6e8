import ConnectionCheck from '#models/connection_check'
import ProctoringSession from '#models/proctoring_session'
import AppError from '#exceptions/app_error'

/** The items of the system check (S2); every run of each, passed or failed, is kept (P7). */
export const CHECK_ITEMS = ['browser', 'camera', 'microphone', 'screen', 'upload_speed', 'single_monitor'] as const

export const CHECK_ERRORS = [
  'BROWSER_UNSUPPORTED',
  'CAMERA_DENIED',
  'CAMERA_NOT_FOUND',
  'CAMERA_BUSY',
  'MIC_DENIED',
  'MIC_NOT_FOUND',
  'MIC_SILENT',
  'SCREEN_DENIED',
  'SCREEN_NOT_ENTIRE',
  'UPLOAD_SLOW',
  'UPLOAD_FAILED',
  'SECOND_MONITOR',
] as const

export async function recordCheck(
  session: ProctoringSession,
  input: { item: string; passed: boolean; errorCode?: string | null; details?: Record<string, unknown> },
  userAgent: string | undefined
) {
  if (!(CHECK_ITEMS as readonly string[]).includes(input.item)) throw AppError.badRequest('CHECK_ITEM_INVALID')
  const errorCode = input.passed ? null : (input.errorCode ?? null)
  if (errorCode && !(CHECK_ERRORS as readonly string[]).includes(errorCode)) throw AppError.badRequest('CHECK_ITEM_INVALID')
  return ConnectionCheck.create({
    sessionId: session.id,
    item: input.item,
    passed: input.passed,
    errorCode,
    details: input.details ?? null,
    userAgent: userAgent?.slice(0, 255) ?? null,
  })
}
