import { readFile } from 'node:fs/promises'

const CLUSTER = 0x1f43b675
const SEGMENT = 0x18538067

/** An EBML variable-length integer at `at`: its value and how many bytes it took. */
function vint(data: Buffer, at: number, keepMarker: boolean) {
  const first = data[at]
  let length = 1
  while (length <= 8 && !(first & (0x80 >> (length - 1)))) length++
  let value = keepMarker ? first : first & (0xff >> length)
  for (let i = 1; i < length; i++) value = value * 256 + data[at + i]
  const unknown = !keepMarker && value === 2 ** (7 * length) - 1
  return { value, length, unknown }
}

/**
 * A WebM file cut where its clusters begin, as MediaRecorder hands a recording over: the
 * first chunk holds the header, the tracks and the first cluster; every later chunk is
 * one cluster (the file is written with a cluster every ~3 s).
 */
export async function webmChunks(file: string) {
  const data = await readFile(file)
  const starts: number[] = []
  let at = 0
  while (at < data.length) {
    const id = vint(data, at, true)
    const size = vint(data, at + id.length, false)
    const body = at + id.length + size.length
    if (id.value === SEGMENT) {
      at = body
      continue
    }
    if (id.value === CLUSTER) starts.push(at)
    if (size.unknown) throw new Error(`${file}: an element of unknown size at ${at}`)
    at = body + size.value
  }
  if (starts.length < 2) throw new Error(`${file}: fewer than two clusters`)
  const cuts = [0, ...starts.slice(1), data.length]
  return cuts.slice(0, -1).map((start, i) => data.subarray(start, cuts[i + 1]))
}
