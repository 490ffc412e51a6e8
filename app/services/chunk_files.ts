import { constants, createReadStream } from 'node:fs'
import { open, rm, type FileHandle } from 'node:fs/promises'
import { hostname } from 'node:os'
import { dirname, join } from 'node:path'
import type { Readable } from 'node:stream'
import { openInFolder, readBody, syncFolder, type BodySummary } from '#services/durable_file'

/*
| Recording chunks are appended to one file per stream of an attempt and web process
| (`recordings/<session>/attempt-<n>/<stream>/<host>.<pid>.chunks`); each chunk's row keeps its
| file, offset and size. Compared with a file per chunk this spares the kernel a new inode, a
| rename and a folder sync for every chunk, and chunks of one stream written close together
| share one fdatasync. Chunks are in the order they arrived, not by sequence number: readers
| go by the rows (`chunkBytes`, `chunkStream`). Bytes of a chunk that was refused are cut off
| again; bytes a crash left half-written are never named by a row and are skipped.
*/

/** Where a chunk's bytes are: a file relative to the data folder, an offset into it, a size. */
export type ChunkLocation = { path: string; byteOffset?: number | null; size: number }

/** Files not written for this long are closed (a finished exam's streams, a student gone). */
const IDLE_CLOSE_MS = 60_000
/** Open append files per process at most; the least recently used is closed first. */
const MAX_OPEN_FILES = 4096

class AppendFile {
  /** Where the next chunk goes: the end of the chunks written whole. */
  private end = 0
  /** Bytes known to be on disk (fdatasync), from the start of the file. */
  private synced = 0
  private syncing: Promise<void> | undefined
  /** Whether the file's name is on disk too (its folder synced since the file was made). */
  private named = true
  private handle: FileHandle | undefined
  /** Chunks of one file are written one after another; this is the tail of that queue. */
  private queue: Promise<unknown> = Promise.resolve()
  private users = 0
  lastUsed = Date.now()

  constructor(readonly path: string) {}

  /** Nobody is writing, and every byte written is on disk: the file may be closed. */
  get idle() {
    return this.users === 0 && this.synced >= this.end && !this.syncing
  }

  /** Opened (or made) when a chunk is first written, so that a refused first chunk leaves no file. */
  private async opened() {
    if (!this.handle) {
      /* Written at known offsets (not O_APPEND), so a failed cut-back is simply overwritten. */
      this.handle = await openInFolder(this.path, constants.O_WRONLY | constants.O_CREAT)
      this.end = (await this.handle.stat()).size
      this.synced = this.end
      this.named = this.end > 0
    }
    return this.handle
  }

  /**
   * Runs `write` alone on this file, from the end of its chunks. What it returns is kept (its
   * bytes become part of the file); when it throws, the file is cut back to where it started,
   * and a file that held nothing before is removed.
   */
  async exclusive<T>(write: (handle: FileHandle, offset: number) => Promise<{ result: T; size: number }>): Promise<{ result: T; offset: number; size: number }> {
    this.users++
    const turn = this.queue.then(async () => {
      const handle = await this.opened()
      const offset = this.end
      try {
        const { result, size } = await write(handle, offset)
        this.end = offset + size
        return { result, offset, size }
      } catch (error) {
        this.synced = Math.min(this.synced, offset)
        if (offset === 0) {
          this.handle = undefined
          await handle.close().catch(() => undefined)
          await rm(this.path, { force: true })
        } else {
          await handle.truncate(offset).catch(() => undefined)
        }
        throw error
      }
    })
    this.queue = turn.catch(() => undefined)
    try {
      return await turn
    } finally {
      this.users--
      this.lastUsed = Date.now()
    }
  }

  /** Resolves once bytes up to `position` are on disk; one fdatasync serves every chunk written before it began. */
  async syncThrough(position: number) {
    this.users++
    try {
      while (this.synced < position) {
        if (!this.syncing) {
          const target = this.end
          this.syncing = this.sync(target).finally(() => (this.syncing = undefined))
        }
        await this.syncing
      }
    } finally {
      this.users--
    }
  }

  private async sync(target: number) {
    await this.handle!.datasync()
    if (!this.named) {
      /* A new file's name must be as durable as the bytes it holds. */
      await syncFolder(dirname(this.path))
      this.named = true
    }
    this.synced = Math.max(this.synced, target)
  }

  async close() {
    const handle = this.handle
    this.handle = undefined
    await handle?.close()
  }
}

const files = new Map<string, AppendFile>()

function appendFile(path: string) {
  let file = files.get(path)
  if (file) {
    /* Most recently used last, so that the map's order is the order to close them in. */
    files.delete(path)
  } else {
    file = new AppendFile(path)
    if (files.size >= MAX_OPEN_FILES) closeIdle(0)
  }
  files.set(path, file)
  return file
}

/** Closes the append files nobody has used for `idleMs` (with 0, idle ones until half are left). */
function closeIdle(idleMs: number) {
  const now = Date.now()
  for (const [path, file] of files) {
    if (idleMs === 0 && files.size <= MAX_OPEN_FILES / 2) break
    if (file.idle && now - file.lastUsed >= idleMs) {
      files.delete(path)
      void file.close().catch(() => undefined)
    }
  }
}

setInterval(() => closeIdle(IDLE_CLOSE_MS), IDLE_CLOSE_MS).unref()

/**
 * The file this process appends a stream's chunks to, relative to the data folder: named after
 * the host and process, so that no two processes ever write one file (web processes of one
 * host, or app hosts sharing a data folder).
 */
export function appendPath(streamFolder: string) {
  return join(streamFolder, WRITER)
}
const WRITER = `${hostname().replace(/[^A-Za-z0-9-]/g, '_')}.${process.pid}.chunks`

export type AppendedChunk = BodySummary & {
  byteOffset: number
  /** Makes the chunk's bytes durable (fdatasync, shared with the file's other chunks). */
  commit(): Promise<void>
}

/**
 * Appends a chunk's body to `path` (absolute), hashing it on the way and refusing more than
 * `maxBytes`. `accept` looks at what arrived before it becomes part of the file: when it
 * throws, the bytes are cut off again and the error goes on.
 */
export async function appendChunk(path: string, source: Readable, maxBytes: number, accept: (summary: BodySummary) => void): Promise<AppendedChunk> {
  const file = appendFile(path)
  const { result, offset, size } = await file.exclusive(async (handle, start) => {
    let position = start
    const summary = await readBody(source, maxBytes, async (pieces) => {
      const { bytesWritten } = await handle.writev(pieces, position)
      const expected = pieces.reduce((sum, piece) => sum + piece.length, 0)
      if (bytesWritten !== expected) throw new Error(`short write: ${bytesWritten} of ${expected} bytes`)
      position += bytesWritten
    })
    accept(summary)
    return { result: summary, size: summary.size }
  })
  return { ...result, byteOffset: offset, commit: () => file.syncThrough(offset + size) }
}

/** A chunk's bytes, read from its file. */
export async function chunkBytes(dataDir: string, chunk: ChunkLocation, length = chunk.size) {
  const handle = await open(join(dataDir, chunk.path), constants.O_RDONLY)
  try {
    const buffer = Buffer.alloc(Math.min(length, chunk.size))
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, chunk.byteOffset ?? 0)
    return buffer.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

/** Bytes `from`..`to` (inclusive, counted within the chunk) of a chunk, as a stream. */
export function chunkStream(dataDir: string, chunk: ChunkLocation, from = 0, to = chunk.size - 1) {
  const base = chunk.byteOffset ?? 0
  return createReadStream(join(dataDir, chunk.path), { start: base + from, end: base + to })
}
