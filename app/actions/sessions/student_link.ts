import { DateTime } from 'luxon'
import env from '#start/env'
import AppError from '#exceptions/app_error'
import { safeEqual, sign } from '#services/signing'

/**
 * One candidate, the exams the link lets them sit (they choose when there are several), expiry,
 * and for links issued through the panel or `ace link:issue` the nonce of their stored row
 * (issued_links), which lets an admin revoke them.
 */
export type StudentLinkClaims = { examIds: number[]; candidateId: number; expiresAt: number; nonce?: string }

const PURPOSE = 'student-link'

/** The link for these claims: the same claims always sign to the same path. */
export function signStudentLink(claims: StudentLinkClaims) {
  const { examIds: exams, candidateId, expiresAt, nonce } = claims
  const body: Record<string, unknown> = { e: exams.length === 1 ? exams[0] : exams, c: candidateId, x: expiresAt }
  if (nonce) body.n = nonce
  const payload = Buffer.from(JSON.stringify(body)).toString('base64url')
  return { path: `/s/${payload}.${sign(PURPOSE, payload)}`, expiresAt }
}

/**
 * A signed link that lets one candidate into one or more exams until it expires: no
 * password of ours. The path is `/s/<payload>.<signature>`. Links given to people are issued
 * through app/actions/links/issue_links.ts, which stores them (and so passes a nonce).
 */
export function issueStudentLink(examIds: number | number[], candidateId: number, ttlHours?: number, nonce?: string) {
  const hours = ttlHours ?? env.get('STUDENT_LINK_TTL_HOURS', 72)
  const expiresAt = Math.floor(DateTime.now().plus({ hours }).toSeconds())
  const exams = Array.isArray(examIds) ? examIds : [examIds]
  return signStudentLink({ examIds: exams, candidateId, expiresAt, nonce })
}

export function readStudentLink(token: string): StudentLinkClaims {
  const [payload, signature, extra] = String(token).split('.')
  if (!payload || !signature || extra !== undefined || !safeEqual(sign(PURPOSE, payload), signature)) {
    throw AppError.forbidden('LINK_INVALID')
  }
  let claims: { e?: unknown; c?: unknown; x?: unknown; n?: unknown }
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    throw AppError.forbidden('LINK_INVALID')
  }
  const examIds = Array.isArray(claims.e) ? claims.e : [claims.e]
  const { c, x, n } = claims
  if (examIds.length === 0 || !examIds.every(Number.isInteger) || !Number.isInteger(c) || !Number.isInteger(x)) {
    throw AppError.forbidden('LINK_INVALID')
  }
  if (n !== undefined && (typeof n !== 'string' || !/^[A-Za-z0-9_-]{8,32}$/.test(n))) throw AppError.forbidden('LINK_INVALID')
  if ((x as number) < DateTime.now().toSeconds()) throw AppError.forbidden('LINK_EXPIRED')
  return { examIds: examIds as number[], candidateId: c as number, expiresAt: x as number, nonce: n as string | undefined }
}
