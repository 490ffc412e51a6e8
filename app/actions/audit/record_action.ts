import { createHash } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import AuditEntry from '#models/audit_entry'

export const GENESIS_HASH = '0'.repeat(64)

export type Actor = { userId: number | null; name: string; iin?: string | null; role: string }
export type ActionInput = {
  action: string
  subjectType?: string
  subjectId?: string | number
  details?: Record<string, unknown>
  ip?: string
}

type HashedFields = Pick<
  AuditEntry,
  'userId' | 'actorName' | 'actorIin' | 'actorRole' | 'action' | 'subjectType' | 'subjectId' | 'details' | 'ip' | 'createdAt'
>

/** The hash that seals one entry to everything before it. */
export function entryHash(prevHash: string, fields: HashedFields) {
  const canonical = JSON.stringify([
    fields.userId,
    fields.actorName,
    fields.actorIin,
    fields.actorRole,
    fields.action,
    fields.subjectType,
    fields.subjectId,
    fields.details,
    fields.ip,
    fields.createdAt,
  ])
  return createHash('sha256').update(`${prevHash}\n${canonical}`).digest('hex')
}

/**
 * Appends one line to the action archive. Each entry carries the hash of the one before,
 * and `prev_hash` is unique, so two writers can never fork the chain: the loser retries.
 */
export async function recordAction(actor: Actor, input: ActionInput) {
  for (let tries = 0; ; tries++) {
    try {
      return await db.transaction(async (trx) => {
        const last = await AuditEntry.query({ client: trx }).orderBy('id', 'desc').select('hash').first()
        const fields: HashedFields = {
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
        const prevHash = last?.hash ?? GENESIS_HASH
        return AuditEntry.create({ ...fields, prevHash, hash: entryHash(prevHash, fields) }, { client: trx })
      })
    } catch (error) {
      if (tries >= 5 || !String(error).includes('UNIQUE')) throw error
    }
  }
}

/** The archive in id order, read a page at a time so memory stays flat. */
async function* auditRows(pageSize = 1000) {
  let afterId = 0
  for (;;) {
    const rows = await db.from('audit_entries').where('id', '>', afterId).orderBy('id', 'asc').limit(pageSize)
    if (rows.length === 0) return
    yield* rows
    afterId = rows[rows.length - 1].id
  }
}

/** Walks the whole archive; returns the id of the first entry that does not match, if any. */
export async function verifyArchive() {
  let prevHash = GENESIS_HASH
  let checked = 0
  for await (const row of auditRows()) {
    const fields: HashedFields = {
      userId: row.user_id,
      actorName: row.actor_name,
      actorIin: row.actor_iin,
      actorRole: row.actor_role,
      action: row.action,
      subjectType: row.subject_type,
      subjectId: row.subject_id,
      details: row.details ? JSON.parse(row.details) : null,
      ip: row.ip,
      createdAt: row.created_at,
    }
    if (row.prev_hash !== prevHash || entryHash(prevHash, fields) !== row.hash) {
      return { ok: false as const, checked, brokenAt: row.id as number }
    }
    prevHash = row.hash
    checked++
  }
  return { ok: true as const, checked }
}
