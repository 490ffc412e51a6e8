import { randomBytes } from 'node:crypto'

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
