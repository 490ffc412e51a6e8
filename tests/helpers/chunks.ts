import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { recordingsDir } from '#config/paths'

/**
 * The first 64 bytes of a real webcam recording's first chunk (Chromium's MediaRecorder, VP8 +
 * Opus; tests/fixtures/chunk_heads.json): the EBML header (DocType webm) and the Segment.
 */
const FIRST_CHUNK_HEAD = Buffer.from(
  '1a45dfa39f4286810142f7810142f2810442f381084282847765626d42878104428581021853806701ffffffffffffff1549a966992ad7b1830f42404d808643',
  'hex'
)
/** How Chromium's later chunks begin: the rest of a Cluster ID (its first byte ended the chunk before). */
const LATER_CHUNK_HEAD = Buffer.from('43b67501ffffffffffffffe7', 'hex')

/**
 * Bytes that pass the upload's container check as chunk `seq` of a WebM stream (a real
 * recording's first bytes, then random bytes): for tests about storage, not about playback.
 */
export function webmChunk(seq: number, size: number) {
  const head = seq === 0 ? FIRST_CHUNK_HEAD : LATER_CHUNK_HEAD
  if (size < head.length) throw new Error(`a test chunk needs at least ${head.length} bytes`)
  return Buffer.concat([head, randomBytes(size - head.length)])
}

/**
 * Bytes of recordings on disk for a session (every file under its folder, temporary ones
 * included): what the chunk rows name, nothing more, proves a refused chunk left nothing behind.
 */
export async function bytesOnDisk(sessionPublicId: string) {
  const dir = join(recordingsDir, sessionPublicId)
  if (!existsSync(dir)) return 0
  let bytes = 0
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) bytes += (await stat(join(entry.parentPath, entry.name))).size
  }
  return bytes
}
