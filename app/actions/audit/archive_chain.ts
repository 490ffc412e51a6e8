import { createHash, createHmac } from 'node:crypto'
import archiveConfig from '#config/archive'
import { sign } from '#services/signing'

/**
 * How entries of the action archive are sealed. Each entry's hash is an HMAC, under a key
 * kept out of the database, of the hash before it and the entry's own fields: whoever can
 * only write to the database can change or delete entries but cannot make the chain whole
 * again. (Before issue 7 it was a plain SHA-256, which anyone could recompute.)
 */
export const GENESIS_HASH = '0'.repeat(64)

/** Entries the archive writes about itself: the head did not match the database; a legacy chain was re-sealed. */
export const HEAD_MISMATCH_ACTION = 'archive.head_mismatch'
export const RESEALED_ACTION = 'archive.resealed'

export type SealedFields = {
  userId: number | null
  actorName: string
  actorIin: string | null
  actorRole: string
  action: string
  subjectType: string | null
  subjectId: string | null
  details: Record<string, unknown> | null
  ip: string | null
  createdAt: string
}

let cachedKey: string | undefined

/** ARCHIVE_KEY, or a key derived from APP_KEY for this purpose alone. */
export function archiveKey() {
  if (cachedKey) return cachedKey
  const configured = archiveConfig.key?.release()
  if (configured && configured.length < 32) throw new Error('ARCHIVE_KEY must be at least 32 characters long')
  cachedKey = configured || sign('action-archive', 'chain-key')
  return cachedKey
}

function canonical(fields: SealedFields) {
  return JSON.stringify([
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
}

/** The seal of one entry: HMAC-SHA256 (hex) of the previous seal and this entry's fields. */
export function entryHash(prevHash: string, fields: SealedFields, key = archiveKey()) {
  return createHmac('sha256', key).update(`entry\n${prevHash}\n${canonical(fields)}`).digest('hex')
}

/** The old, unkeyed seal; used only to check an archive written before issue 7 before re-sealing it. */
export function legacyEntryHash(prevHash: string, fields: SealedFields) {
  return createHash('sha256').update(`${prevHash}\n${canonical(fields)}`).digest('hex')
}

/** A row of audit_entries as the database returns it. */
export type AuditRow = {
  id: number
  user_id: number | null
  actor_name: string
  actor_iin: string | null
  actor_role: string
  action: string
  subject_type: string | null
  subject_id: string | null
  details: string | null
  ip: string | null
  created_at: string
  prev_hash: string
  hash: string
}

export function sealedFieldsOf(row: Omit<AuditRow, 'id'>): SealedFields {
  return {
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
}
