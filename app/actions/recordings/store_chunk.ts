import { join } from 'node:path'
import type { Readable } from 'node:stream'
import env from '#start/env'
import { STREAMS, type StreamKind } from '#models/recording'
import type { StudentSession } from '#middleware/student_session_middleware'
import AppError from '#exceptions/app_error'
import { dataDir } from '#config/paths'
import { readBody, TooLargeError, type BodySummary } from '#services/durable_file'
import { appendChunk, appendPath } from '#services/chunk_files'
import { chunkContainerError } from '#services/media_container'
import { enqueueWithin } from '#services/queue'
import { sqlTime } from '#services/sql_time'
import { batchedWrite, withConnection, type Database } from '#services/sqlite_direct'
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

export type StoredChunk = { seq: number; sha256: string }

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

/** The attempt a chunk belongs to, whether it is the session's last, and the chunk if it is already stored. */
function lookUp(conn: Database, sessionId: number, attempt: number, stream: string, seq: number) {
  return conn
    .prepare(
      `SELECT a.id AS attempt_id,
              a.number = (SELECT MAX(number) FROM attempts WHERE session_id = a.session_id) AS is_last,
              c.sha256 AS stored_sha256
         FROM attempts a
         LEFT JOIN recordings r ON r.attempt_id = a.id AND r.stream = ?
         LEFT JOIN recording_chunks c ON c.recording_id = r.id AND c.seq = ?
        WHERE a.session_id = ? AND a.number = ?`
    )
    .get(stream, seq, sessionId, attempt) as { attempt_id: number; is_last: number; stored_sha256: string | null } | undefined
}

function answerForStored(storedSha256: string, sha256: string, seq: number) {
  if (storedSha256 !== sha256) throw AppError.conflict('CHUNK_CONFLICT')
  return { duplicate: true, chunk: { seq, sha256 } as StoredChunk }
}

/**
 * Stores one recording chunk and answers only once its bytes are on disk (fsync) and
 * recorded in the database. Sending the same chunk again is a no-op; chunks may arrive
 * in any order. A chunk that fails any check is not stored. Once the session is closed,
 * only the last attempt's chunks still in flight are taken (the route allows a short grace).
 */
export async function storeChunk(session: Pick<StudentSession, 'id' | 'publicId' | 'isOpen'>, header: ChunkHeader, body: Readable) {
  validate(header)
  const stream = header.stream as StreamKind
  const found = await withConnection((conn) => lookUp(conn, session.id, header.attempt, stream, header.seq))
  if (!found) throw AppError.badRequest('ATTEMPT_NOT_FOUND')
  if (!session.isOpen && !found.is_last) throw AppError.conflict('SESSION_CLOSED')

  const relativePath = appendPath(join('recordings', session.publicId, `attempt-${header.attempt}`, stream))
  /* What arrived must be the chunk announced, and a media container: a playlist or any
     other file labelled as video must never become part of a recording. */
  const check = (received: BodySummary) => {
    if (received.size === 0) throw AppError.badRequest('CHUNK_EMPTY')
    if (received.sha256 !== header.sha256) throw new AppError('CHUNK_CHECKSUM_MISMATCH', 422)
    const containerError = chunkContainerError(received.head, header.seq, header.contentType!)
    if (containerError) throw new AppError(containerError, 415)
  }
  let received
  try {
    if (found.stored_sha256) {
      /* Sent again: compared with what is stored, and not written a second time. */
      const again = await readBody(body, maxChunkBytes(), async () => undefined)
      check(again)
      return answerForStored(found.stored_sha256, again.sha256, header.seq)
    }
    received = await appendChunk(join(dataDir, relativePath), body, maxChunkBytes(), check)
  } catch (error) {
    if (error instanceof TooLargeError) throw new AppError('CHUNK_TOO_LARGE', 413, { max: maxChunkBytes() })
    throw error
  }

  await received.commit()
  const outcome = await batchedWrite((conn) =>
    recordChunk(conn, {
      sessionId: session.id,
      attemptId: found.attempt_id,
      stream,
      mimeType: header.contentType!.slice(0, 100),
      seq: header.seq,
      size: received.size,
      sha256: received.sha256,
      path: relativePath,
      byteOffset: received.byteOffset,
    })
  )
  /* Two copies of one chunk raced: the other one won. Same bytes: a duplicate; others: a conflict. */
  if (outcome.storedSha256) return answerForStored(outcome.storedSha256, received.sha256, header.seq)
  return { duplicate: false, chunk: { seq: header.seq, sha256: received.sha256 } as StoredChunk }
}

type ChunkRow = {
  sessionId: number
  attemptId: number
  stream: StreamKind
  mimeType: string
  seq: number
  size: number
  sha256: string
  path: string
  byteOffset: number
}

/**
 * One transaction (shared with other chunks of the same moment, see batchedWrite): the
 * recording if it is the stream's first chunk, the chunk's row, the recording's counters,
 * and every `windowChunks` webcam chunks the analysis of the next window (A1).
 */
function recordChunk(conn: Database, chunk: ChunkRow): { storedSha256?: string } {
  const now = sqlTime()
  conn
    .prepare(
      `INSERT INTO recordings (session_id, attempt_id, stream, mime_type, chunk_count, bytes, status, created_at, updated_at)
       VALUES (?, ?, ?, ?, 0, 0, 'recording', ?, ?) ON CONFLICT (attempt_id, stream) DO NOTHING`
    )
    .run(chunk.sessionId, chunk.attemptId, chunk.stream, chunk.mimeType, now, now)
  const recording = conn
    .prepare('SELECT id FROM recordings WHERE attempt_id = ? AND stream = ?')
    .get(chunk.attemptId, chunk.stream) as { id: number }
  const inserted = conn
    .prepare(
      `INSERT INTO recording_chunks (recording_id, seq, size, sha256, path, byte_offset, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (recording_id, seq) DO NOTHING`
    )
    .run(recording.id, chunk.seq, chunk.size, chunk.sha256, chunk.path, chunk.byteOffset, now)
  if (inserted.changes === 0) {
    const stored = conn
      .prepare('SELECT sha256 FROM recording_chunks WHERE recording_id = ? AND seq = ?')
      .get(recording.id, chunk.seq) as { sha256: string }
    return { storedSha256: stored.sha256 }
  }
  conn
    .prepare('UPDATE recordings SET chunk_count = chunk_count + 1, bytes = bytes + ?, updated_at = ? WHERE id = ?')
    .run(chunk.size, now, recording.id)
  if (chunk.stream === 'webcam' && (chunk.seq + 1) % analysis.windowChunks === 0) {
    enqueueWithin(conn, 'analyse_recording', { recordingId: recording.id }, { uniqueKey: `analyse_recording:${recording.id}` })
  }
  return {}
}
