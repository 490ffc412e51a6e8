import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import logger from '@adonisjs/core/services/logger'
import {
  GENESIS_HASH,
  RESEALED_ACTION,
  entryHash,
  legacyEntryHash,
  sealedFieldsOf,
  type AuditRow,
} from '#actions/audit/archive_chain'
import { readHead, writeHead } from '#actions/audit/archive_head'
import { SYSTEM_ACTOR, appendEntry } from '#actions/audit/record_action'

/**
 * Once, on upgrade (migration 0008): an archive written with the old unkeyed SHA-256 chain is
 * checked with that algorithm, then every entry is sealed again with the archive key, the head
 * file is written, and an `archive.resealed` entry says so, with whether the old chain was
 * intact. Entries from before the upgrade are only as trustworthy as the old chain was; from
 * then on nobody without the key can rewrite them unnoticed.
 *
 * An archive that is already keyed but has lost its head file is left alone: sealing it again
 * would hide the deletion that verification must report.
 */
export async function resealLegacyArchive(client: QueryClientContract) {
  if ((await readHead()).state !== 'missing') return null
  const first: AuditRow | undefined = await client.from('audit_entries').orderBy('id', 'asc').first()
  if (!first) return null
  if (first.prev_hash === GENESIS_HASH && entryHash(GENESIS_HASH, sealedFieldsOf(first)) === first.hash) return null

  let legacyPrev = GENESIS_HASH
  let legacyBrokenAt: number | null = null
  let sealed = { id: 0, hash: GENESIS_HASH, prevHash: GENESIS_HASH }
  let count = 0
  for (let afterId = 0; ; ) {
    const rows: AuditRow[] = await client.from('audit_entries').where('id', '>', afterId).orderBy('id', 'asc').limit(1000)
    if (rows.length === 0) break
    for (const row of rows) {
      const fields = sealedFieldsOf(row)
      if (legacyBrokenAt === null && (row.prev_hash !== legacyPrev || legacyEntryHash(legacyPrev, fields) !== row.hash)) {
        legacyBrokenAt = row.id
      }
      legacyPrev = row.hash
      const hash = entryHash(sealed.hash, fields)
      await client.from('audit_entries').where('id', row.id).update({ prev_hash: sealed.hash, hash })
      sealed = { id: row.id, hash, prevHash: sealed.hash }
      count++
    }
    afterId = rows[rows.length - 1].id
  }
  await writeHead({ ...sealed, count })
  const details = { entries: count, lastId: sealed.id, legacyHeadHash: legacyPrev, legacyIntact: legacyBrokenAt === null, legacyBrokenAt }
  logger.info(details, 'action archive re-sealed with the archive key')
  return appendEntry(client, SYSTEM_ACTOR, { action: RESEALED_ACTION, details })
}
