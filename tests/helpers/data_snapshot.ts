import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join, relative } from 'node:path'
import db from '@adonisjs/lucid/services/db'
import { dataDir, dbFile } from '#config/paths'

/*
| Everything a request could have changed: every row of every table (as a hash per table,
| with its row count) and every file under the data folder (path and size). Two snapshots
| are compared to prove that a refused request changed nothing.
*/

/** Columns every student request touches by design (a sign of life), and never data. */
const VOLATILE_COLUMNS: Record<string, string[]> = {
  proctoring_sessions: ['last_seen_at', 'phone_last_seen_at'],
}
/** Tables that are not data: the migration ledger, and staff login sessions (a visit may start one). */
const IGNORED_TABLES = new Set(['adonis_schema', 'adonis_schema_versions', 'staff_sessions'])

export type Snapshot = { tables: Record<string, { rows: number; hash: string }>; files: string[] }

export async function snapshot(): Promise<Snapshot> {
  const tables: Snapshot['tables'] = {}
  const names = await db.rawQuery(`select name, sql from sqlite_master where type = 'table' order by name`)
  for (const { name, sql } of names as { name: string; sql: string }[]) {
    if (IGNORED_TABLES.has(name)) continue
    /* A WITHOUT ROWID table (session_list_counts) has no rowid; it is read in its primary key's order. */
    const order = /WITHOUT\s+ROWID/i.test(sql ?? '') ? '' : ' order by rowid'
    const rows = (await db.rawQuery(`select * from "${name}"${order}`)) as Record<string, unknown>[]
    const volatile = VOLATILE_COLUMNS[name] ?? []
    const hash = createHash('sha256')
    for (const row of rows) {
      for (const column of volatile) delete row[column]
      hash.update(JSON.stringify(row, (_key, value) => (Buffer.isBuffer(value) ? value.toString('hex') : value)))
    }
    tables[name] = { rows: rows.length, hash: hash.digest('hex') }
  }
  return { tables, files: await filesUnder(dataDir) }
}

async function filesUnder(dir: string) {
  if (!existsSync(dir)) return []
  const databaseFiles = new Set([dbFile, `${dbFile}-wal`, `${dbFile}-shm`, `${dbFile}-journal`])
  const files: string[] = []
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name)
    if (!entry.isFile() || databaseFiles.has(path)) continue
    const size = await stat(path).then((s) => s.size, () => -1)
    files.push(`${relative(dir, path)} (${size} bytes)`)
  }
  return files.sort()
}

/** What differs between two snapshots, one line each (empty when nothing changed). */
export function differences(before: Snapshot, after: Snapshot) {
  const lines: string[] = []
  for (const name of new Set([...Object.keys(before.tables), ...Object.keys(after.tables)])) {
    const [a, b] = [before.tables[name], after.tables[name]]
    if (!a || !b) lines.push(`table ${name} ${a ? 'disappeared' : 'appeared'}`)
    else if (a.rows !== b.rows) lines.push(`table ${name}: ${a.rows} rows before, ${b.rows} after`)
    else if (a.hash !== b.hash) lines.push(`table ${name}: a row changed`)
  }
  const [was, is] = [new Set(before.files), new Set(after.files)]
  for (const file of after.files) if (!was.has(file)) lines.push(`file appeared or changed: ${file}`)
  for (const file of before.files) if (!is.has(file)) lines.push(`file gone or changed: ${file}`)
  return lines
}
