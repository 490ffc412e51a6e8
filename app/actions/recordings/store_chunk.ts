import { join, relative } from 'node:path'
import type { Readable } from 'node:stream'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import Attempt from '#models/attempt'
import Recording, { STREAMS, type StreamKind } from '#models/recording'
import RecordingChunk from '#models/recording_chunk'
import ProctoringSession from '#models/proctoring_session'
import AppError from '#exceptions/app_error'
import { dataDir, recordingsDir } from '#config/paths'
import { receiveToTemp, TooLargeError } from '#services/durable_file'
import { enqueue } from '#services/queue'
import analysis from '#config/analysis'

/** Containers MediaRecorder produces, which the worker knows how to remux. */
export const CHUNK_TYPES = ['video/webm', 'video/mp4', 'audio/webm', 'video/x-matroska']

export type ChunkHeader = {
  stream: string
  seq: number
  attempt: number
  sha256: string | undefined
  contentType: string | undefined
  contentLength: number | undefined
}

export function maxChunkBytes() {
  return env.get('CHUNK_MAX_BYTES', 16 * 1024 * 1024)
}

function validate(header: ChunkHeader) {
  if (!(STREAMS as readonly string[]).includes(header.stream)) throw AppError.badRequest('CHUNK_STREAM_INVALID')
  if (!Number.isInteger(header.seq) || header.seq < 0 || header.seq > 999_999) throw AppError.badRequest('CHUNK_SEQ_INVALID')
  if (!Number.isInteger(header.attempt) || header.attempt < 1) throw AppError.badRequest('ATTEMPT_NOT_FOUND')
  if (!header.sha256 || !/^[0-9a-f]{64}$/.test(header.sha256)) throw AppError.badRequest('CHUNK_CHECKSUM_REQUIRED')
  const baseType = (header.contentType ?? '').split(';')[0].trim().toLowerCase()
  if (!CHUNK_TYPES.includes(baseType)) throw new AppError('CHUNK_TYPE_INVALID', 415, { types: CHUNK_TYPES.join(', ') })
  if (header.contentLength !== undefined && header.contentLength > maxChunkBytes()) {
    throw new AppError('CHUNK_TOO_LARGE', 413, { max: maxChunkBytes() })
  }
  if (header.contentLength === 0) throw AppError.badRequest('CHUNK_EMPTY')
}

/**
 * Stores one recording chunk and answers only once its bytes are on disk (fsync) and
 * recorded in the database. Sending the same chunk again is a no-op; chunks may arrive
 * in any order. A chunk that fails any check is not stored.
 */
export async function storeChunk(session: ProctoringSession, header: ChunkHeader, body: Readable) {
  validate(header)
  const stream = header.stream as StreamKind
  const attempt = await Attempt.query().where({ sessionId: session.id, number: header.attempt }).first()
  if (!attempt) throw AppError.badRequest('ATTEMPT_NOT_FOUND')

  const finalPath = join(
    recordingsDir,
    session.publicId,
    `attempt-${attempt.number}`,
    stream,
    `${String(header.seq).padStart(6, '0')}.chunk`
  )
  let received
  try {
    received = await receiveToTemp(body, finalPath, maxChunkBytes())
  } catch (error) {
    if (error instanceof TooLargeError) throw new AppError('CHUNK_TOO_LARGE', 413, { max: maxChunkBytes() })
    throw error
  }
  if (received.size === 0) {
    await received.discard()
    throw AppError.badRequest('CHUNK_EMPTY')
  }
  if (received.sha256 !== header.sha256) {
    await received.discard()
    throw new AppError('CHUNK_CHECKSUM_MISMATCH', 422)
  }

  const recording = await findOrCreateRecording(session, attempt, stream, header.contentType!)
  const existing = await RecordingChunk.query().where({ recordingId: recording.id, seq: header.seq }).first()
  if (existing) {
    await received.discard()
    if (existing.sha256 !== received.sha256) throw AppError.conflict('CHUNK_CONFLICT')
    return { duplicate: true, chunk: existing }
  }

  await received.commit()
  try {
    const chunk = await db.transaction(async (trx) => {
      const row = await RecordingChunk.create(
        {
          recordingId: recording.id,
          seq: header.seq,
          size: received.size,
          sha256: received.sha256,
          path: relative(dataDir, finalPath),
          receivedAt: DateTime.now(),
        },
        { client: trx }
      )
      await trx
        .from('recordings')
        .where('id', recording.id)
        .increment({ chunk_count: 1, bytes: received.size })
      return row
    })
    await queueAnalysisWindow(recording, header.seq)
    return { duplicate: false, chunk }
  } catch (error) {
    /* Two copies of one chunk raced: the other one won, and holds the same bytes. */
    const winner = await RecordingChunk.query().where({ recordingId: recording.id, seq: header.seq }).first()
    if (winner && winner.sha256 === received.sha256) return { duplicate: true, chunk: winner }
    throw error
  }
}

/**
 * Analyse while the exam runs: once a window's worth of new webcam chunks is in, the
 * worker is asked to analyse them (one waiting job per recording at most).
 */
async function queueAnalysisWindow(recording: Recording, seq: number) {
  if (recording.stream !== 'webcam' || (seq + 1) % analysis.windowChunks !== 0) return
  await enqueue('analyse_recording', { recordingId: recording.id }, { uniqueKey: `analyse_recording:${recording.id}` })
}

async function findOrCreateRecording(session: ProctoringSession, attempt: Attempt, stream: StreamKind, contentType: string) {
  const search = { attemptId: attempt.id, stream }
  const found = await Recording.query().where(search).first()
  if (found) return found
  try {
    return await Recording.create({
      ...search,
      sessionId: session.id,
      mimeType: contentType.slice(0, 100),
      chunkCount: 0,
      bytes: 0,
      status: 'recording',
    })
  } catch {
    return Recording.query().where(search).firstOrFail()
  }
}
