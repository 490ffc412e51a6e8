import { DateTime } from 'luxon'
import env from '#start/env'
import AppError from '#exceptions/app_error'
import { safeEqual, sign } from '#services/signing'

/** One candidate, the exams the link lets them sit (they choose when there are several), expiry. */
export type StudentLinkClaims = { examIds: number[]; candidateId: number; expiresAt: number }

const PURPOSE = 'student-link'

/**
 * A signed link that lets one candidate into one or more exams until it expires: no
 * password of ours, nothing stored. The path is `/s/<payload>.<signature>`.
 */
export function issueStudentLink(examIds: number | number[], candidateId: number, ttlHours?: number) {
  const hours = ttlHours ?? env.get('STUDENT_LINK_TTL_HOURS', 72)
  const expiresAt = Math.floor(DateTime.now().plus({ hours }).toSeconds())
  const exams = Array.isArray(examIds) ? examIds : [examIds]
  const payload = Buffer.from(
    JSON.stringify({ e: exams.length === 1 ? exams[0] : exams, c: candidateId, x: expiresAt })
  ).toString('base64url')
  return { path: `/s/${payload}.${sign(PURPOSE, payload)}`, expiresAt }
}

export function readStudentLink(token: string): StudentLinkClaims {
  const [payload, signature, extra] = String(token).split('.')
  if (!payload || !signature || extra !== undefined || !safeEqual(sign(PURPOSE, payload), signature)) {
    throw AppError.forbidden('LINK_INVALID')
  }
  let claims: { e?: unknown; c?: unknown; x?: unknown }
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    throw AppError.forbidden('LINK_INVALID')
  }
  const examIds = Array.isArray(claims.e) ? claims.e : [claims.e]
  const { c, x } = claims
  if (examIds.length === 0 || !examIds.every(Number.isInteger) || !Number.isInteger(c) || !Number.isInteger(x)) {
    throw AppError.forbidden('LINK_INVALID')
  }
  if ((x as number) < DateTime.now().toSeconds()) throw AppError.forbidden('LINK_EXPIRED')
  return { examIds: examIds as number[], candidateId: c as number, expiresAt: x as number }
}
