import { DateTime } from 'luxon'
import IssuedLink from '#models/issued_link'
import AppError from '#exceptions/app_error'
import type { StudentLinkClaims } from '#actions/sessions/student_link'

/**
 * A link that names a stored row (issued through the panel or `ace link:issue`) opens only
 * while that row exists, is not revoked, and matches what the link says. The first opening
 * is noted for the admins' list.
 */
export async function admitIssuedLink(claims: StudentLinkClaims) {
  if (!claims.nonce) return null
  const link = await IssuedLink.findBy('nonce', claims.nonce)
  if (!link || link.candidateId !== claims.candidateId) throw AppError.forbidden('LINK_INVALID')
  if (link.revokedAt) throw AppError.forbidden('LINK_REVOKED')
  if (!link.openedAt) {
    link.openedAt = DateTime.now()
    await link.save()
  }
  return link
}
