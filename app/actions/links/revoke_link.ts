import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import IssuedLink from '#models/issued_link'
import AppError from '#exceptions/app_error'
import { appendEntry, type Actor } from '#actions/audit/record_action'

/** Revokes one issued link: opening it is refused from now on (LINK_REVOKED). Archived. */
export async function revokeLink(id: number, actor: Actor, ip?: string) {
  return db.transaction(async (trx) => {
    const link = await IssuedLink.query({ client: trx }).where('id', id).first()
    if (!link) throw AppError.notFound('LINK_NOT_FOUND')
    if (link.revokedAt) throw AppError.conflict('LINK_ALREADY_REVOKED')
    link.revokedAt = DateTime.now()
    link.revokedBy = actor.userId
    await link.save()
    await appendEntry(trx, actor, {
      action: 'link.revoke',
      subjectType: 'issued_link',
      subjectId: link.id,
      details: { examIds: link.examIds, candidateId: link.candidateId },
      ip,
    })
    return link
  })
}
