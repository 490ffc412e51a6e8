import { join, relative } from 'node:path'
import { Readable } from 'node:stream'
import IdentityCheck from '#models/identity_check'
import ProctoringSession from '#models/proctoring_session'
import AppError from '#exceptions/app_error'
import { dataDir, photosDir } from '#config/paths'
import photos from '#config/photos'
import { receiveToTemp } from '#services/durable_file'
import { PHOTO_EXTENSION, PHOTO_MIME, photoDimensions, photoFormat, type PhotoFormat } from '#services/image_header'
import { PhotoCorruptError } from '#services/face_pool'

export type PhotoKind = 'face' | 'document'

/** The face model reads JPEG and PNG; a document photo is only kept, so WebP will do there too. */
const FORMATS: Record<PhotoKind, PhotoFormat[]> = { face: ['jpeg', 'png'], document: ['jpeg', 'png', 'webp'] }

export type PhotoVerdict = Pick<IdentityCheck, 'result' | 'reason'> & { details?: Record<string, unknown> }

/** Judges a photo whose type and size are known to be sound; throws PhotoCorruptError when it does not decode. */
export type PhotoJudge = (bytes: Uint8Array, format: PhotoFormat) => Promise<PhotoVerdict>

const FORMAT_NAMES: Record<PhotoFormat, string> = { jpeg: 'JPEG', png: 'PNG', webp: 'WebP' }

function typeError(kind: PhotoKind) {
  return new AppError('PHOTO_TYPE_INVALID', 415, { types: FORMATS[kind].map((format) => FORMAT_NAMES[format]).join(', ') })
}

/** The whole body in memory (a photo is at most a few MB): nothing is written before it is judged. */
async function readBody(body: Readable, maxBytes: number) {
  const parts: Buffer[] = []
  let size = 0
  for await (const part of body as AsyncIterable<Buffer>) {
    size += part.length
    if (size > maxBytes) throw new AppError('PHOTO_TOO_LARGE', 413)
    parts.push(part)
  }
  return Buffer.concat(parts, size)
}

/**
 * Keeps a student's face (or ID-document) photo with its verdict. What the file is comes from
 * its bytes and its size from its header, both before anything is decoded; then `judge`
 * decodes it (off the event loop), and only then is the photo written (fsync'd) and its row made. A photo refused at any of these steps leaves nothing
 * behind: no file and no row. A photo that is sound but not good enough (no face, too dark)
 * is kept as "rejected", so staff can see what was tried.
 */
export async function storeIdentityPhoto(
  session: ProctoringSession,
  kind: PhotoKind,
  contentType: string | undefined,
  body: Readable,
  judge: PhotoJudge
) {
  const label = (contentType ?? '').split(';')[0].trim().toLowerCase()
  if (!FORMATS[kind].some((format) => PHOTO_MIME[format] === label)) throw typeError(kind)
  const bytes = await readBody(body, photos.maxBytes)
  if (bytes.length === 0) throw AppError.badRequest('PHOTO_EMPTY')
  const format = photoFormat(bytes)
  if (!format || !FORMATS[kind].includes(format)) throw typeError(kind)
  const size = photoDimensions(bytes)
  if (!size) throw new AppError('PHOTO_CORRUPT', 422)
  if (Math.max(size.width, size.height) > photos.maxSide || size.width * size.height > photos.maxPixels) {
    throw new AppError('PHOTO_DIMENSIONS_TOO_LARGE', 422, { maxSide: photos.maxSide, maxPixels: photos.maxPixels })
  }
  let verdict: PhotoVerdict
  try {
    verdict = await judge(bytes, format)
  } catch (error) {
    if (error instanceof PhotoCorruptError) throw new AppError('PHOTO_CORRUPT', 422)
    throw error
  }

  const finalPath = join(photosDir, session.publicId, `${kind}-${Date.now()}.${PHOTO_EXTENSION[format]}`)
  const received = await receiveToTemp(Readable.from([bytes]), finalPath, photos.maxBytes)
  await received.commit()
  return IdentityCheck.create({
    sessionId: session.id,
    kind,
    photoPath: relative(dataDir, finalPath),
    result: verdict.result,
    reason: verdict.reason,
    details: { bytes: received.size, sha256: received.sha256, width: size.width, height: size.height, ...verdict.details },
  })
}
