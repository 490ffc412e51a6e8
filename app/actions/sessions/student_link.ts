import { DateTime } from 'luxon'
import env from '#start/env'
import AppError from '#exceptions/app_error'
import { safeEqual, sign } from '#services/signing'

export type StudentLinkClaims = { examId: number; candidateId: number; expiresAt: number }

const PURPOSE = 'student-link'

/**
 * A signed link that lets one candidate into one exam until it expires: no password of
 * ours, nothing stored. The path is `/s/<payload>.<signature>`.
 */
export function issueStudentLink(examId: number, candidateId: number, ttlHours?: number) {
  const hours = ttlHours ?? env.get('STUDENT_LINK_TTL_HOURS', 72)
  const expiresAt = Math.floor(DateTime.now().plus({ hours }).toSeconds())
  const payload = Buffer.from(JSON.stringify({ e: examId, c: candidateId, x: expiresAt })).toString('base64url')
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
  const { e, c, x } = claims
  if (!Number.isInteger(e) || !Number.isInteger(c) || !Number.isInteger(x)) throw AppError.forbidden('LINK_INVALID')
  if ((x as number) < DateTime.now().toSeconds()) throw AppError.forbidden('LINK_EXPIRED')
  return { examId: e as number, candidateId: c as number, expiresAt: x as number }
}
