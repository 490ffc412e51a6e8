import db from '@adonisjs/lucid/services/db'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import AppError from '#exceptions/app_error'
import Candidate from '#models/candidate'
import { appendEntry, type Actor } from '#actions/audit/record_action'

/** What the candidate form and the import set on a candidate. */
export type CandidateFields = {
  fullName: string
  groupId: number | null
  iin: string | null
  email: string | null
  externalId: string | null
}

export const CANDIDATE_FIELDS = ['fullName', 'groupId', 'iin', 'email', 'externalId'] as const

/** Field by field, what differs: { field: [before, after] }. */
export function candidateChanges(candidate: Candidate | null, fields: CandidateFields) {
  const changes: Record<string, [unknown, unknown]> = {}
  for (const key of CANDIDATE_FIELDS) {
    const before = candidate ? (candidate[key] ?? null) : null
    if (before !== fields[key]) changes[key] = [before, fields[key]]
  }
  return changes
}

/** Which other candidate already holds this IIN or external id (the field's name), if any. */
export async function duplicateField(fields: CandidateFields, exceptId: number | null, client?: QueryClientContract) {
  for (const key of ['iin', 'externalId'] as const) {
    const value = fields[key]
    if (!value) continue
    const query = Candidate.query({ client }).where(key, value)
    if (key === 'externalId') query.whereNull('systemId')
    if (exceptId) query.whereNot('id', exceptId)
    if (await query.first()) return key
  }
  return null
}

/**
 * Creates a candidate (no `candidate`) or changes one, and archives what changed in the same
 * transaction. An unchanged save writes nothing; an IIN or external id another candidate holds
 * is refused (IIN_TAKEN, EXTERNAL_ID_TAKEN).
 */
export async function saveCandidate(actor: Actor, candidate: Candidate | null, fields: CandidateFields, ip?: string) {
  const changes = candidateChanges(candidate, fields)
  if (candidate && Object.keys(changes).length === 0) return { candidate, changes }
  return db.transaction(async (trx) => {
    /* Checked inside the transaction, which holds the write lock: no twin can slip in between. */
    const taken = await duplicateField(fields, candidate?.id ?? null, trx)
    if (taken) throw AppError.conflict(taken === 'iin' ? 'IIN_TAKEN' : 'EXTERNAL_ID_TAKEN', { field: taken })
    const row = candidate ?? new Candidate()
    row.useTransaction(trx)
    row.merge(fields)
    await row.save()
    await appendEntry(trx, actor, {
      action: candidate ? 'candidate.update' : 'candidate.create',
      subjectType: 'candidate',
      subjectId: row.id,
      details: { changes },
      ip,
    })
    return { candidate: row, changes }
  })
}
