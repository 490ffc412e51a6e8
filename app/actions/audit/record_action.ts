import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import AuditEntry from '#models/audit_entry'
import { GENESIS_HASH, HEAD_MISMATCH_ACTION, entryHash, type SealedFields } from '#actions/audit/archive_chain'
import { readHead, writeHead, type HeadState } from '#actions/audit/archive_head'

export { GENESIS_HASH, entryHash } from '#actions/audit/archive_chain'
export { verifyArchive } from '#actions/audit/verify_archive'

export type Actor = { userId: number | null; name: string; iin?: string | null; role: string }
export type ActionInput = {
  action: string
  subjectType?: string
  subjectId?: string | number
  details?: Record<string, unknown>
  ip?: string
}

/** Entries the archive writes about itself. */
export const SYSTEM_ACTOR: Actor = { userId: null, name: 'system', role: 'system' }

async function insertEntry(client: QueryClientContract, actor: Actor, input: ActionInput, prevHash: string) {
  const fields: SealedFields = {
    userId: actor.userId,
    actorName: actor.name,
    actorIin: actor.iin ?? null,
    actorRole: actor.role,
    action: input.action,
    subjectType: input.subjectType ?? null,
    subjectId: input.subjectId === undefined ? null : String(input.subjectId),
    details: input.details ?? null,
    ip: input.ip ?? null,
    createdAt: new Date().toISOString(),
  }
  return AuditEntry.create({ ...fields, prevHash, hash: entryHash(prevHash, fields) }, { client })
}

function describeHead(found: HeadState) {
  if (found.state === 'valid') return found.head
  if (found.state === 'invalid') return { invalid: found.reason }
  return null
}

/**
 * Appends one entry inside a transaction the caller holds (every transaction here begins
 * IMMEDIATE, so no other process appends in between). The head file is rewritten before the
 * caller commits. When the head does not match the database's newest entry (entries deleted,
 * head replaced or removed, or a process that died between head and commit), the archive goes
 * on but first writes what it found into the chain itself, where verification reports it.
 */
export async function appendEntry(client: QueryClientContract, actor: Actor, input: ActionInput) {
  let tail: { id: number; hash: string } | null =
    (await client.from('audit_entries').orderBy('id', 'desc').select('id', 'hash').first()) ?? null
  const found = await readHead()
  let count: number
  if (found.state === 'valid' && tail && found.head.id === tail.id && found.head.hash === tail.hash) {
    count = found.head.count
  } else if (found.state === 'missing' && !tail) {
    count = 0
  } else {
    const [{ n }] = await client.from('audit_entries').count('* as n')
    count = Number(n)
    const database = { id: tail?.id ?? null, hash: tail?.hash ?? GENESIS_HASH, count }
    logger.warn({ head: describeHead(found), database }, 'action archive head does not match the database')
    tail = await insertEntry(client, SYSTEM_ACTOR, { action: HEAD_MISMATCH_ACTION, details: { head: describeHead(found), database } }, database.hash)
    count++
  }
  const entry = await insertEntry(client, actor, input, tail?.hash ?? GENESIS_HASH)
  await writeHead({ id: entry.id, hash: entry.hash, prevHash: entry.prevHash, count: count + 1 })
  return entry
}

/** Appends one line to the action archive, in its own transaction. */
export async function recordAction(actor: Actor, input: ActionInput) {
  return db.transaction((trx) => appendEntry(trx, actor, input))
}
