import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough, type Readable } from 'node:stream'
import Recording from '#models/recording'
import RecordingChunk from '#models/recording_chunk'
import { dataDir } from '#config/paths'
import { chunkStream, type ChunkLocation } from '#services/chunk_files'

/** A part of the recording's bytes: a chunk, or the whole seekable file (at offset 0). */
type Part = ChunkLocation

/**
 * A recording as one byte range: the worker's seekable file once it is ready, otherwise
 * the stored chunks end to end in sequence order (which a browser can already play).
 */
export async function recordingSource(recording: Recording) {
  let parts: Part[]
  let contentType = recording.mimeType.split(';')[0]
  if (recording.status === 'ready' && recording.filePath) {
    const path = join(dataDir, recording.filePath)
    parts = [{ path: recording.filePath, size: (await stat(path)).size }]
    contentType = recording.filePath.endsWith('.mp4') ? 'video/mp4' : 'video/webm'
  } else {
    const chunks = await RecordingChunk.query().where('recordingId', recording.id).orderBy('seq', 'asc')
    parts = chunks
  }
  const size = parts.reduce((sum, part) => sum + part.size, 0)
  return { size, contentType, read: (start: number, end: number) => readRange(parts, start, end) }
}

/** Bytes start..end (inclusive) across the parts, streamed one file after another. */
function readRange(parts: Part[], start: number, end: number): Readable {
  const output = new PassThrough()
  ;(async () => {
    let offset = 0
    for (const part of parts) {
      const partEnd = offset + part.size - 1
      if (partEnd >= start && offset <= end) {
        const from = Math.max(start, offset) - offset
        const to = Math.min(end, partEnd) - offset
        for await (const data of chunkStream(dataDir, part, from, to)) {
          if (!output.write(data)) await new Promise((resolve) => output.once('drain', resolve))
        }
      }
      offset += part.size
      if (offset > end) break
    }
    output.end()
  })().catch((error) => output.destroy(error))
  return output
}

/** Parses a single "bytes=a-b" range; undefined when absent or unusable. */
export function parseRange(header: string | undefined, size: number) {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header ?? '')
  if (!match || size === 0) return undefined
  let start = match[1] === '' ? undefined : Number(match[1])
  let end = match[2] === '' ? undefined : Number(match[2])
  if (start === undefined) {
    if (end === undefined) return undefined
    start = Math.max(0, size - end)
    end = size - 1
  }
  end = Math.min(end ?? size - 1, size - 1)
  if (start > end) return null
  return { start, end }
}
