import env from '#start/env'
import type IssuedLink from '#models/issued_link'
import { signStudentLink } from '#actions/sessions/student_link'

/**
 * The full address of a stored link. Always from APP_URL (the address students reach the
 * appliance at), never from the host of the request that issued it.
 */
export function issuedLinkUrl(link: IssuedLink) {
  const { path } = signStudentLink({
    examIds: link.examIds.length ? link.examIds : [link.examId],
    candidateId: link.candidateId,
    expiresAt: Math.floor(link.expiresAt.toSeconds()),
    nonce: link.nonce,
  })
  return `${String(env.get('APP_URL')).replace(/\/+$/, '')}${path}`
}
