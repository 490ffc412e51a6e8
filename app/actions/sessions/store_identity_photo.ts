import { join, relative } from 'node:path'
import type { Readable } from 'node:stream'
import IdentityCheck from '#models/identity_check'
import ProctoringSession from '#models/proctoring_session'
import AppError from '#exceptions/app_error'
import { dataDir, photosDir } from '#config/paths'
import { receiveToTemp, TooLargeError } from '#services/durable_file'

const PHOTO_TYPES: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp' }
const MAX_PHOTO_BYTES = 5 * 1024 * 1024

/** Keeps the student's face (or ID-document) photo; the face model judges it later. */
export async function storeIdentityPhoto(
  session: ProctoringSession,
  kind: 'face' | 'document',
  contentType: string | undefined,
  body: Readable
) {
  const extension = PHOTO_TYPES[(contentType ?? '').split(';')[0].trim().toLowerCase()]
  if (!extension) throw new AppError('PHOTO_TYPE_INVALID', 415)
  const finalPath = join(photosDir, session.publicId, `${kind}-${Date.now()}.${extension}`)
  let received
  try {
    received = await receiveToTemp(body, finalPath, MAX_PHOTO_BYTES)
  } catch (error) {
    if (error instanceof TooLargeError) throw new AppError('PHOTO_TOO_LARGE', 413)
    throw error
  }
  if (received.size === 0) {
    await received.discard()
    throw AppError.badRequest('PHOTO_EMPTY')
  }
  await received.commit()
  return IdentityCheck.create({
    sessionId: session.id,
    kind,
    photoPath: relative(dataDir, finalPath),
    result: 'pending',
    details: { bytes: received.size, sha256: received.sha256 },
  })
}
