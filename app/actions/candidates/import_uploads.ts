import { randomBytes } from 'node:crypto'
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { dataDir } from '#config/paths'
import type { SpreadsheetKind, Table } from '#services/spreadsheets'

/*
| An uploaded import file waits under <data>/imports/ between the preview and the import, as
| the table read from it (read once, in a thread): a random id names it, a side file says who
| uploaded it and when. Only that admin may preview or apply it, for an hour; the import
| reads it from here, never anything the browser re-posts.
*/

export const IMPORTS_DIR = join(dataDir, 'imports')
export const UPLOAD_TTL_MS = 60 * 60 * 1000
/** Largest import file taken. */
export const UPLOAD_MAX_BYTES = 5 * 1024 * 1024

export type ImportUpload = { id: string; userId: number; fileName: string; kind: SpreadsheetKind; createdAt: number; table: Table }

const ID_PATTERN = /^[0-9a-f]{32}$/

/** Removes uploads older than their hour. */
async function sweep() {
  const names = await readdir(IMPORTS_DIR).catch(() => [] as string[])
  for (const name of names) {
    const path = join(IMPORTS_DIR, name)
    const info = await stat(path).catch(() => null)
    if (info && Date.now() - info.mtimeMs > UPLOAD_TTL_MS) await rm(path, { force: true })
  }
}

export async function storeUpload(userId: number, fileName: string, kind: SpreadsheetKind, table: Table) {
  await sweep()
  await mkdir(IMPORTS_DIR, { recursive: true })
  const id = randomBytes(16).toString('hex')
  await writeFile(join(IMPORTS_DIR, `${id}.table.json`), JSON.stringify(table), { mode: 0o600 })
  const meta = { userId, fileName: fileName.slice(0, 200), kind, createdAt: Date.now() }
  await writeFile(join(IMPORTS_DIR, `${id}.json`), JSON.stringify(meta), { mode: 0o600 })
  return id
}

/** The upload with this id, if it is this user's and still fresh; otherwise null. */
export async function findUpload(id: unknown, userId: number): Promise<ImportUpload | null> {
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) return null
  try {
    const meta = JSON.parse(await readFile(join(IMPORTS_DIR, `${id}.json`), 'utf8'))
    if (meta.userId !== userId || Date.now() - meta.createdAt > UPLOAD_TTL_MS) return null
    const table = JSON.parse(await readFile(join(IMPORTS_DIR, `${id}.table.json`), 'utf8')) as Table
    return { id, ...meta, table }
  } catch {
    return null
  }
}

export async function removeUpload(id: string) {
  if (!ID_PATTERN.test(id)) return
  await rm(join(IMPORTS_DIR, `${id}.table.json`), { force: true })
  await rm(join(IMPORTS_DIR, `${id}.json`), { force: true })
}
