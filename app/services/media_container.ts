/**
 * What kind of file a recording chunk really is, told from its first bytes (the 64 that
 * `receiveToTemp` keeps), so that a text file labelled `video/webm` (an HLS playlist naming a
 * server file, an ffconcat list, HTML) never becomes part of a recording.
 *
 * What MediaRecorder emits, recorded in headless Chromium (tests/fixtures/chunk_heads.json):
 * - the first chunk of a stream starts with the EBML header (DocType "webm", or "matroska" for
 *   video/x-matroska) followed by the Segment, or for MP4 with an `ftyp` box;
 * - later WebM/Matroska chunks are the same byte stream cut anywhere: Chromium cuts one byte
 *   into an element (a chunk starts `43 B6 75`, the rest of a Cluster ID, or with the size of a
 *   SimpleBlock whose ID byte ended the chunk before). There is no structure at byte 0 to
 *   demand, so later chunks are refused when they are recognisably something else (another
 *   container or file type, or text);
 * - later MP4 chunks are whole fragments and start with a box (`moof`, `styp`, ...).
 * The worker names the container when it calls ffmpeg (see `containerFormat`), so bytes inside
 * a later chunk are only ever read as part of the first chunk's container.
 */

export type ContainerFormat = 'matroska' | 'mp4'

const MATROSKA_TYPES = new Set(['video/webm', 'audio/webm', 'video/x-matroska'])
const MP4_TYPES = new Set(['video/mp4'])

const EBML_ID = 0x1a45dfa3
const SEGMENT_ID = 0x18538067
const DOCTYPE_ID = 0x4282
const DOCTYPES = new Set(['webm', 'matroska'])

/** Boxes a fragmented MP4 stream continues with after its `ftyp` + `moov`. */
const MP4_FRAGMENT_BOXES = new Set(['moof', 'styp', 'sidx', 'mdat', 'free', 'skip', 'emsg', 'prft', 'uuid', 'mfra'])

/** Starts of files that are not the continuation of a recording (each 4 bytes or more, so chance matches stay below 1 in 4 billion). */
const FOREIGN_STARTS = [
  [0x1a, 0x45, 0xdf, 0xa3], // a second EBML header: a new stream is always chunk 0
  [0x18, 0x53, 0x80, 0x67], // a Matroska Segment
  '#EXTM3U', // HLS playlist
  'ffconcat', // ffmpeg concat list
  '<!DOCTYPE',
  '<?xml',
  '<html',
  [0x50, 0x4b, 0x03, 0x04], // ZIP
  '%PDF-',
  [0x89, 0x50, 0x4e, 0x47], // PNG
  [0xff, 0xd8, 0xff, 0xe0], // JPEG (JFIF)
  [0xff, 0xd8, 0xff, 0xe1], // JPEG (Exif)
  'GIF8',
  'RIFF',
  'OggS',
  'fLaC',
  [0x46, 0x4c, 0x56, 0x01], // FLV
].map((start) => (typeof start === 'string' ? Buffer.from(start, 'latin1') : Buffer.from(start)))

/** A head of at least this many bytes that is all text is a text file, not media. */
const TEXT_MIN_BYTES = 32

function baseType(contentType: string) {
  return contentType.split(';')[0].trim().toLowerCase()
}

/**
 * Why a chunk must be refused, as an error code, or null when its first bytes fit the
 * container its content type names and its place in the stream (`seq` 0 opens the stream).
 */
export function chunkContainerError(head: Buffer, seq: number, contentType: string): string | null {
  const type = baseType(contentType)
  if (MATROSKA_TYPES.has(type)) {
    if (seq === 0) return matroskaStart(head) ? null : 'CHUNK_CONTAINER_INVALID'
    return foreign(head) ? 'CHUNK_CONTAINER_INVALID' : null
  }
  if (MP4_TYPES.has(type)) {
    if (seq === 0) return mp4Box(head, 0) === 'ftyp' ? null : 'CHUNK_CONTAINER_INVALID'
    const box = mp4Box(head, 0)
    return box && MP4_FRAGMENT_BOXES.has(box) ? null : 'CHUNK_CONTAINER_INVALID'
  }
  return 'CHUNK_TYPE_INVALID'
}

/** The ffmpeg input format of a stream, from its first chunk's first bytes; null when it is neither. */
export function containerFormat(head: Buffer): ContainerFormat | null {
  if (matroskaStart(head)) return 'matroska'
  if (mp4Box(head, 0) === 'ftyp') return 'mp4'
  return null
}

/** A variable-size integer as EBML writes it: the count of leading zero bits says its length. */
function vint(bytes: Buffer, at: number, keepMarker: boolean) {
  if (at >= bytes.length) return null
  const first = bytes[at]
  if (first === 0) return null
  const length = Math.clz32(first) - 23 // leading zeros within the byte, plus one
  if (at + length > bytes.length) return null
  let value = keepMarker ? first : first & (0xff >> length)
  let allOnes = value === (0xff >> length)
  for (let i = 1; i < length; i++) {
    value = value * 256 + bytes[at + i]
    allOnes &&= bytes[at + i] === 0xff
  }
  return { value, length, unknown: !keepMarker && allOnes }
}

/** An EBML header whose DocType is webm or matroska, followed by a Segment when the head reaches that far. */
function matroskaStart(head: Buffer) {
  const id = vint(head, 0, true)
  if (!id || id.value !== EBML_ID) return false
  const size = vint(head, id.length, false)
  if (!size || size.unknown) return false
  const bodyStart = id.length + size.length
  const bodyEnd = bodyStart + size.value
  let docType: string | null = null
  for (let at = bodyStart; at < Math.min(bodyEnd, head.length); ) {
    const childId = vint(head, at, true)
    const childSize = childId && vint(head, at + childId.length, false)
    if (!childId || !childSize || childSize.unknown) return false
    const dataAt = at + childId.length + childSize.length
    if (childId.value === DOCTYPE_ID) {
      if (dataAt + childSize.value > head.length) return false
      docType = head.subarray(dataAt, dataAt + childSize.value).toString('latin1').replace(/\0+$/, '')
    }
    at = dataAt + childSize.value
  }
  if (!docType || !DOCTYPES.has(docType)) return false
  if (bodyEnd + 4 <= head.length) {
    const next = vint(head, bodyEnd, true)
    if (!next || next.value !== SEGMENT_ID) return false
  }
  return true
}

/** The type of the ISO BMFF box starting at `at`, when its size field is sane (0: to the end, 1: 64-bit size). */
function mp4Box(head: Buffer, at: number) {
  if (head.length < at + 8) return null
  const size = head.readUInt32BE(at)
  if (size > 1 && size < 8) return null
  const type = head.subarray(at + 4, at + 8).toString('latin1')
  return /^[a-z0-9 ]{4}$/i.test(type) ? type : null
}

function foreign(head: Buffer) {
  if (FOREIGN_STARTS.some((start) => head.length >= start.length && head.subarray(0, start.length).equals(start))) return true
  if (mp4Box(head, 0) === 'ftyp' || mp4Box(head, 0) === 'moov') return true
  return head.length >= TEXT_MIN_BYTES && isText(head)
}

/** Printable UTF-8 with tabs and line breaks only; a multi-byte character cut at the end still counts. */
function isText(bytes: Buffer) {
  let i = 0
  while (i < bytes.length) {
    const b = bytes[i]
    if (b < 0x80) {
      if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false
      if (b === 0x7f) return false
      i++
      continue
    }
    const length = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xc2 && b < 0xe0 ? 2 : 0
    if (!length) return false
    for (let k = 1; k < length; k++) {
      if (i + k >= bytes.length) return true
      if ((bytes[i + k] & 0xc0) !== 0x80) return false
    }
    i += length
  }
  return true
}
