import { chunkBytes, type ChunkLocation } from '#services/chunk_files'
import { dataDir } from '#config/paths'
import { containerFormat, type ContainerFormat } from '#services/media_container'

/** A recording the worker refuses to read, with a stable code the report can translate. */
export class RecordingError extends Error {
  constructor(
    readonly code: string,
    detail: string
  ) {
    super(`${code}: ${detail}`)
  }
}

/** The ffmpeg input formats the worker reads: the recording containers, and WAV for tests and tools. */
export type InputFormat = ContainerFormat | 'wav'

/**
 * ffmpeg arguments that open `file` as `format` and as nothing else. Left to guess, ffmpeg
 * takes a text file for an HLS playlist or a concat list and reads the files it names; with
 * the format named and only the `file` protocol allowed, the bytes of a recording are only
 * ever read as that recording. `file:` keeps a path with a colon from naming a protocol.
 */
export function inputArgs(file: string, format: InputFormat) {
  return [...inputOptions(format), '-i', inputPath(file)]
}

/** The options before `-i` of `inputArgs`. */
export function inputOptions(format: InputFormat) {
  return ['-protocol_whitelist', 'file', '-f', format]
}

/** A local path as ffmpeg's `file` protocol names it. */
export function inputPath(file: string) {
  return `file:${file}`
}

/**
 * The container of a file the worker wrote itself (a remuxed recording, an analysis window) or
 * was given by its own tools, by its name: .mp4, .wav, anything else WebM. Never for chunks.
 */
export function formatOfFile(file: string): InputFormat {
  if (file.endsWith('.mp4')) return 'mp4'
  if (file.endsWith('.wav')) return 'wav'
  return 'matroska'
}

/**
 * The container of a stored recording, from the first bytes of its first chunk (checked at
 * upload as well; chunks stored before that check, or put there by other means, are checked here).
 */
export async function recordingFormat(firstChunk: ChunkLocation): Promise<ContainerFormat> {
  const head = await chunkBytes(dataDir, firstChunk, 64)
  const format = containerFormat(head)
  if (!format) throw new RecordingError('RECORDING_CONTAINER_INVALID', 'the first chunk is neither WebM/Matroska nor MP4')
  return format
}
