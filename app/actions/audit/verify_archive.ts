import db from '@adonisjs/lucid/services/db'
import archiveConfig from '#config/archive'
import {
  GENESIS_HASH,
  HEAD_MISMATCH_ACTION,
  RESEALED_ACTION,
  entryHash,
  sealedFieldsOf,
  type AuditRow,
} from '#actions/audit/archive_chain'
import { readHead, type ArchiveHead } from '#actions/audit/archive_head'

/**
 * What verification can find. "Hard" findings are proof of tampering. The others are
 * ambiguous and said so: a head one entry ahead of the database is what a process that
 * stopped between sealing an entry and committing it leaves, and also what deleting exactly
 * the newest entry leaves. Every finding fails verification unless an auditor who has looked
 * into it names its entry with --accept.
 */
export type FindingKind =
  | 'entry_altered'
  | 'entries_missing'
  | 'truncated'
  | 'head_missing'
  | 'head_invalid'
  | 'head_mismatch'
  | 'unfinished_entry'
  | 'legacy_chain_broken'

export type Finding = {
  kind: FindingKind
  /** The first bad entry (for deletions: the first one missing); null when no entry can be named. */
  entryId: number | null
  /** Ids of entries known to be gone. */
  missing?: { from: number; to: number }
  acceptable: boolean
  message: string
}

export type VerifyResult = {
  ok: boolean
  /** Entries whose seal was checked. */
  checked: number
  /** Entry named by the first finding not accepted (kept for callers of the old result). */
  brokenAt: number | null
  findings: Finding[]
  accepted: Finding[]
  head: ArchiveHead | null
}

/** The archive in id order up to `lastId`, a page at a time so memory stays flat. */
async function* auditRows(lastId: number, pageSize = 1000) {
  let afterId = 0
  while (afterId < lastId) {
    const rows: AuditRow[] = await db
      .from('audit_entries')
      .where('id', '>', afterId)
      .andWhere('id', '<=', lastId)
      .orderBy('id', 'asc')
      .limit(pageSize)
    if (rows.length === 0) return
    yield* rows
    afterId = rows[rows.length - 1].id
  }
}

const gone = (from: number, to: number) => (from === to ? `entry #${from} is` : `entries #${from} to #${to} are`)

/** An entry the archive wrote because the head it found did not fit the database. */
function headMismatchFinding(row: AuditRow, details: any): Finding {
  const found = details?.head
  const database = details?.database ?? {}
  const when = `when entry #${row.id} was written (${row.created_at})`
  if (found && typeof found.count === 'number') {
    if (found.count === database.count + 1 && found.prevHash === database.hash) {
      return {
        kind: 'unfinished_entry',
        entryId: found.id,
        acceptable: true,
        message:
          `entry #${found.id}, sealed into the head at ${found.at} by process ${found.writer}, never reached the database: ` +
          `either that process stopped before committing it (look for a crash or power cut at that time), ` +
          `or that newest entry was deleted before entry #${row.id} was written`,
      }
    }
    if (found.count > database.count) {
      const from = (database.id ?? 0) + 1
      return {
        kind: 'truncated',
        entryId: from,
        missing: { from, to: found.id },
        acceptable: false,
        message: `${gone(from, found.id)} missing: ${when}, the head named #${found.id} (${found.count} entries) but the database ended at #${database.id ?? 0} (${database.count} entries)`,
      }
    }
    return {
      kind: 'head_mismatch',
      entryId: row.id,
      acceptable: false,
      message: `${when}, the head file named #${found.id} (${found.count} entries) but the database ended at #${database.id ?? 0} (${database.count} entries): the head file had been replaced by an older one`,
    }
  }
  if (found?.invalid) {
    return { kind: 'head_invalid', entryId: row.id, acceptable: false, message: `${when}, the head file was not signed with the archive key (edited or forged)` }
  }
  return {
    kind: 'head_missing',
    entryId: row.id,
    acceptable: false,
    message: `${when}, the head file was missing while the database held ${database.count} entries: newest entries may have been deleted before it`,
  }
}

/** Compares the head file with the newest entry that the chain reached. */
function headFindings(head: Awaited<ReturnType<typeof readHead>>, last: { id: number; hash: string }, count: number): Finding[] {
  const path = archiveConfig.headFile
  if (head.state === 'missing') {
    if (count === 0) return []
    return [{ kind: 'head_missing', entryId: null, acceptable: false, message: `the head file ${path} is missing while the database holds ${count} entries: a deletion of the newest entries could not be seen` }]
  }
  if (head.state === 'invalid') {
    return [{ kind: 'head_invalid', entryId: null, acceptable: false, message: `the head file ${path} is not signed with the archive key (edited or forged)` }]
  }
  const h = head.head
  if (h.id === last.id && h.hash === last.hash && h.count === count) return []
  if (h.count === count + 1 && h.prevHash === last.hash && h.id > last.id) {
    return [
      {
        kind: 'unfinished_entry',
        entryId: h.id,
        acceptable: true,
        message:
          `the head names entry #${h.id} (sealed at ${h.at} by process ${h.writer}) as the newest, but it is not in the database: ` +
          `either that process stopped before committing it (look for a crash or power cut at that time), or that newest entry was deleted`,
      },
    ]
  }
  if (h.count > count && h.id > last.id) {
    const from = last.id + 1
    return [
      {
        kind: 'truncated',
        entryId: from,
        missing: { from, to: h.id },
        acceptable: false,
        message: `${gone(from, h.id)} missing from the end: the head names #${h.id} (${h.count} entries), the database ends at #${last.id} (${count} entries)`,
      },
    ]
  }
  return [
    {
      kind: 'head_mismatch',
      entryId: h.id < last.id ? h.id + 1 : null,
      acceptable: false,
      message: `the head names #${h.id} (${h.count} entries) but the database ends at #${last.id} (${count} entries): the head file was replaced by another one, or entries were written around the app`,
    },
  ]
}

/**
 * Walks the whole archive: every entry's seal, every link, then the head file. Stops at the
 * first entry that breaks the chain (nothing after it can be vouched for).
 */
export async function verifyArchive(options: { accept?: number[] } = {}): Promise<VerifyResult> {
  /* Head and newest entry read together under the write lock, so no append falls between them. */
  const { head, tail } = await db.transaction(async (trx) => ({
    head: await readHead(),
    tail: ((await trx.from('audit_entries').orderBy('id', 'desc').select('id').first()) ?? { id: 0 }) as { id: number },
  }))
  const findings: Finding[] = []
  let last = { id: 0, hash: GENESIS_HASH }
  let checked = 0
  let chainBroken = false
  for await (const row of auditRows(tail.id)) {
    if (row.prev_hash !== last.hash) {
      findings.push(
        row.id > last.id + 1
          ? {
              kind: 'entries_missing',
              entryId: row.id,
              missing: { from: last.id + 1, to: row.id - 1 },
              acceptable: false,
              message: `${gone(last.id + 1, row.id - 1)} missing: entry #${row.id} does not follow entry #${last.id}`,
            }
          : { kind: 'entry_altered', entryId: row.id, acceptable: false, message: `entry #${row.id} does not follow entry #${last.id}: it was changed` }
      )
      chainBroken = true
      break
    }
    let sealed = false
    try {
      sealed = entryHash(last.hash, sealedFieldsOf(row)) === row.hash
    } catch {}
    if (!sealed) {
      findings.push({ kind: 'entry_altered', entryId: row.id, acceptable: false, message: `entry #${row.id} was changed after it was written (its seal does not match)` })
      chainBroken = true
      break
    }
    const details = row.details ? JSON.parse(row.details) : null
    if (row.action === HEAD_MISMATCH_ACTION) findings.push(headMismatchFinding(row, details))
    if (row.action === RESEALED_ACTION && details?.legacyIntact === false) {
      findings.push({
        kind: 'legacy_chain_broken',
        entryId: details.legacyBrokenAt ?? row.id,
        acceptable: true,
        message: `entries up to #${details.lastId} were sealed with the archive key at ${row.created_at} from the old unkeyed chain, which was already broken at entry #${details.legacyBrokenAt}`,
      })
    }
    last = { id: row.id, hash: row.hash }
    checked++
  }
  if (!chainBroken) findings.push(...headFindings(head, last, checked))

  const accept = new Set(options.accept ?? [])
  const accepted = findings.filter((f) => f.acceptable && f.entryId !== null && accept.has(f.entryId))
  const open = findings.filter((f) => !accepted.includes(f))
  return {
    ok: open.length === 0,
    checked,
    brokenAt: open[0]?.entryId ?? null,
    findings: open,
    accepted,
    head: head.state === 'valid' ? head.head : null,
  }
}
