import { createHash, randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, open, rename, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Transform } from 'node:stream'

export class TooLargeError extends Error {}

/** How many leading bytes `receiveToTemp` keeps in `head`. */
export const HEAD_BYTES = 64

/**
 * Streams `source` into a temporary file beside `finalPath`, hashing it on the way and
 * refusing more than `maxBytes`. Nothing is visible at `finalPath` until `commit()`.
 */
export async function receiveToTemp(source: Readable, finalPath: string, maxBytes: number) {
  await mkdir(dirname(finalPath), { recursive: true })
  const tempPath = join(dirname(finalPath), `.${randomBytes(6).toString('hex')}.part`)
  const hash = createHash('sha256')
  let size = 0
  /* The first bytes, kept so the caller can check what kind of file this really is. */
  const headParts: Buffer[] = []
  let headBytes = 0
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length
      if (size > maxBytes) return done(new TooLargeError())
      hash.update(chunk)
      if (headBytes < HEAD_BYTES) {
        headParts.push(chunk.subarray(0, HEAD_BYTES - headBytes))
        headBytes += headParts[headParts.length - 1].length
      }
      done(null, chunk)
    },
  })
  try {
    await pipeline(source, meter, createWriteStream(tempPath, { flags: 'wx' }))
  } catch (error) {
    await rm(tempPath, { force: true })
    throw error
  }
  return {
    size,
    head: Buffer.concat(headParts),
    sha256: hash.digest('hex'),
    discard: () => rm(tempPath, { force: true }),
    /** fsync the bytes, move them into place, then fsync the folder that names them. */
    commit: async () => {
      await fsyncPath(tempPath)
      await rename(tempPath, finalPath)
      await fsyncPath(dirname(finalPath))
    },
  }
}

async function fsyncPath(path: string) {
  const handle = await open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
