import { createHmac, randomBytes } from 'node:crypto'
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import { hostname } from 'node:os'
import { basename, dirname, join } from 'node:path'
import archiveConfig from '#config/archive'
import { archiveKey } from '#actions/audit/archive_chain'
import { safeEqual } from '#services/signing'

/**
 * The head of the action archive, kept in a signed file outside the database: the newest
 * entry's id and hash, the hash before it and how many entries there are. A database whose
 * newest entries were deleted no longer reaches the head, and without the key nobody can
 * write a head that matches the shortened chain.
 *
 * It is written while the entry's transaction still holds the database's write lock (before
 * the commit), so appends from several processes write it in order and it never goes back.
 * The price: a process that stops between the two leaves a head one entry ahead of the
 * database, which is indistinguishable from that one newest entry being deleted; both are
 * reported as such (see verify_archive.ts).
 */
export type ArchiveHead = {
  v: 1
  id: number
  hash: string
  prevHash: string
  count: number
  /** When the head was written, and by which process: for matching a lost entry with the log. */
  at: string
  writer: string
}

export type HeadState =
  | { state: 'missing' }
  | { state: 'invalid'; reason: string }
  | { state: 'valid'; head: ArchiveHead }

const WRITER = `${hostname()}:${process.pid}`

function headMac(head: Omit<ArchiveHead, 'mac'>, key = archiveKey()) {
  const fields = [head.v, head.id, head.hash, head.prevHash, head.count, head.at, head.writer]
  return createHmac('sha256', key).update(`head\n${JSON.stringify(fields)}`).digest('hex')
}

export async function readHead(path = archiveConfig.headFile): Promise<HeadState> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' }
    throw error
  }
  try {
    const { mac, ...head } = JSON.parse(text) as ArchiveHead & { mac: string }
    const wellFormed =
      head.v === 1 &&
      Number.isSafeInteger(head.id) &&
      Number.isSafeInteger(head.count) &&
      typeof head.hash === 'string' &&
      typeof head.prevHash === 'string' &&
      typeof head.at === 'string' &&
      typeof head.writer === 'string' &&
      typeof mac === 'string'
    if (!wellFormed) return { state: 'invalid', reason: 'malformed' }
    if (!safeEqual(mac, headMac(head))) return { state: 'invalid', reason: 'signature' }
    return { state: 'valid', head }
  } catch {
    return { state: 'invalid', reason: 'malformed' }
  }
}

/** Signs and writes the head: temporary file, fsync, rename over the old one, fsync the folder. */
export async function writeHead(entry: { id: number; hash: string; prevHash: string; count: number }, path = archiveConfig.headFile) {
  const head: ArchiveHead = { v: 1, ...entry, at: new Date().toISOString(), writer: WRITER }
  const text = `${JSON.stringify({ ...head, mac: headMac(head) })}\n`
  const folder = dirname(path)
  await mkdir(folder, { recursive: true })
  const temp = join(folder, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    const file = await open(temp, 'wx', 0o600)
    try {
      await file.writeFile(text)
      await file.sync()
    } finally {
      await file.close()
    }
    await rename(temp, path)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
  const dir = await open(folder, 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
  return head
}
