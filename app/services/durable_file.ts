import { createHash, randomBytes } from 'node:crypto'
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Readable } from 'node:stream'

export class TooLargeError extends Error {}

/** How many leading bytes `receiveToTemp` keeps in `head`. */
const HEAD_BYTES = 64

/** Pieces of a body gathered before one write (a 3-second chunk is usually one write). */
const WRITE_BATCH_BYTES = 1024 * 1024

/**
 * A body over the limit is still read to its end (and thrown away) up to this many bytes, so
 * the client gets its 413 instead of a connection reset; past it the connection is dropped.
 */
const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024

/** Folders known to exist: each chunk would otherwise ask the disk again. */
const knownFolders = new Set<string>()

async function ensureFolder(folder: string) {
  if (knownFolders.has(folder)) return
  await mkdir(folder, { recursive: true })
  if (knownFolders.size > 10_000) knownFolders.clear()
  knownFolders.add(folder)
}

/** Reads what is left of a body and drops it, up to `limit` bytes (then stops reading). */
export async function drainBody(source: AsyncIterator<Buffer>, limit = DRAIN_LIMIT_BYTES) {
  let drained = 0
  for (;;) {
    const { value, done } = await source.next()
    if (done) return true
    drained += value.length
    if (drained > limit) return false
  }
}

/** What `readBody` learnt of a body it passed on. */
export type BodySummary = { size: number; head: Buffer; sha256: string }

/**
 * Reads `source` to its end, hashing it and keeping its first bytes, and hands the pieces to
 * `write` about a megabyte at a time (a 3-second chunk is usually one write). More than
 * `maxBytes` throws `TooLargeError` after draining the rest (see `drainBody`).
 */
export async function readBody(source: Readable, maxBytes: number, write: (pieces: Buffer[]) => Promise<unknown>): Promise<BodySummary> {
  const hash = createHash('sha256')
  const head: Buffer[] = []
  let headBytes = 0
  let size = 0
  const body = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  let pending: Buffer[] = []
  let pendingBytes = 0
  for (;;) {
    const { value, done } = await body.next()
    if (done) break
    size += value.length
    if (size > maxBytes) {
      if (!(await drainBody(body))) source.destroy()
      throw new TooLargeError()
    }
    hash.update(value)
    if (headBytes < HEAD_BYTES) {
      const piece = value.subarray(0, HEAD_BYTES - headBytes)
      head.push(piece)
      headBytes += piece.length
    }
    pending.push(value)
    pendingBytes += value.length
    if (pendingBytes >= WRITE_BATCH_BYTES) {
      await write(pending)
      pending = []
      pendingBytes = 0
    }
  }
  if (pending.length) await write(pending)
  return { size, head: Buffer.concat(head), sha256: hash.digest('hex') }
}

/**
 * Streams `source` into a temporary file beside `finalPath`, hashing it on the way and
 * refusing more than `maxBytes`. Nothing is visible at `finalPath` until `commit()`, which
 * makes the bytes durable (fdatasync), moves them into place and syncs the folder. Every
 * received file must end in `commit()` or `discard()`.
 */
export async function receiveToTemp(source: Readable, finalPath: string, maxBytes: number) {
  const folder = dirname(finalPath)
  const tempPath = join(folder, `.${randomBytes(6).toString('hex')}.part`)
  const file = await openInFolder(tempPath, 'wx')
  const drop = async () => {
    await file.close().catch(() => undefined)
    await rm(tempPath, { force: true })
  }
  let summary: BodySummary
  try {
    summary = await readBody(source, maxBytes, (pieces) => file.writev(pieces))
  } catch (error) {
    await drop()
    throw error
  }
  return {
    ...summary,
    discard: drop,
    /** fdatasync the bytes, move them into place, then fsync the folder that names them. */
    commit: async () => {
      try {
        await file.datasync()
        await file.close()
      } catch (error) {
        await drop()
        throw error
      }
      await rename(tempPath, finalPath)
      await syncFolder(folder)
    },
  }
}

/** Opens `path`, making its folder first (and again, if it was removed by hand since it was last seen). */
export async function openInFolder(path: string, flags: string | number) {
  const folder = dirname(path)
  await ensureFolder(folder)
  return open(path, flags).catch(async (error) => {
    if (error?.code !== 'ENOENT') throw error
    knownFolders.delete(folder)
    await ensureFolder(folder)
    return open(path, flags)
  })
}

export async function syncFolder(path: string) {
  let handle: FileHandle | undefined
  try {
    handle = await open(path, 'r')
    await handle.sync()
  } finally {
    await handle?.close()
  }
}
