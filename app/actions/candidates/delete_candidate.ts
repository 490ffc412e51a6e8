import db from '@adonisjs/lucid/services/db'
import AppError from '#exceptions/app_error'
import type Candidate from '#models/candidate'
import { appendEntry, type Actor } from '#actions/audit/record_action'

/**
 * Deletes a candidate who has never sat an exam, archived with what they were. One with
 * sessions is refused (CANDIDATE_HAS_SESSIONS): their results and recordings depend on them.
 */
export async function deleteCandidate(actor: Actor, candidate: Candidate, ip?: string) {
  await db.transaction(async (trx) => {
    const [{ n }] = await trx.from('proctoring_sessions').where('candidate_id', candidate.id).count('* as n')
    if (Number(n) > 0) throw AppError.conflict('CANDIDATE_HAS_SESSIONS', { count: Number(n) })
    await trx.from('candidates').where('id', candidate.id).delete()
    const { id, fullName, groupId, iin, email, externalId } = candidate
    await appendEntry(trx, actor, {
      action: 'candidate.delete',
      subjectType: 'candidate',
      subjectId: id,
      details: { deleted: { fullName, groupId, iin, email, externalId } },
      ip,
    })
  })
}
