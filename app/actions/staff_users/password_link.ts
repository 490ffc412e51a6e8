import { createHash } from 'node:crypto'
import { DateTime } from 'luxon'
import env from '#start/env'
import User from '#models/user'
import AppError from '#exceptions/app_error'
import { recordAction, type Actor } from '#actions/audit/record_action'
import { safeEqual, sign } from '#services/signing'
import { changePassword } from '#actions/staff_users/change_password'

const PURPOSE = 'staff-password-link'
/** How long a link to choose a password stays valid. */
export const PASSWORD_LINK_HOURS = 24

/** A fingerprint of the current password hash: once the password changes, older links stop working. */
function fingerprint(user: User) {
  return createHash('sha256').update(user.password).digest('base64url').slice(0, 16)
}

/**
 * A signed, expiring, single-use link for one staff member to choose a new password: it names
 * the user and the password it replaces, so it works once (nothing stored). Shown to the admin
 * (e-mail comes later); archived. Always from APP_URL.
 */
export async function issuePasswordLink(user: User, actor: Actor, ip?: string) {
  if (!user.active) throw AppError.conflict('USER_INACTIVE')
  const link = passwordLinkFor(user, PASSWORD_LINK_HOURS * 60)
  await recordAction(actor, { action: 'staff_user.password_link', subjectType: 'user', subjectId: user.id, details: { email: user.email, expiresAt: link.expiresAt }, ip })
  return link
}

/** The link itself (not archived: the caller archives why it was made), valid for `minutes`. */
export function passwordLinkFor(user: User, minutes: number) {
  const expiresAt = Math.floor(DateTime.now().plus({ minutes }).toSeconds())
  const payload = Buffer.from(JSON.stringify({ u: user.id, x: expiresAt, p: fingerprint(user) })).toString('base64url')
  return { url: `${String(env.get('APP_URL')).replace(/\/+$/, '')}/staff/password/${payload}.${sign(PURPOSE, payload)}`, expiresAt }
}

/** The user a password link is for, if it is genuine, unexpired and unused. */
export async function readPasswordLink(token: string) {
  const [payload, signature, extra] = String(token).split('.')
  if (!payload || !signature || extra !== undefined || !safeEqual(sign(PURPOSE, payload), signature)) {
    throw AppError.forbidden('PASSWORD_LINK_INVALID')
  }
  let claims: { u?: unknown; x?: unknown; p?: unknown }
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    throw AppError.forbidden('PASSWORD_LINK_INVALID')
  }
  if (!Number.isInteger(claims.u) || !Number.isInteger(claims.x) || typeof claims.p !== 'string') {
    throw AppError.forbidden('PASSWORD_LINK_INVALID')
  }
  if ((claims.x as number) < DateTime.now().toSeconds()) throw AppError.forbidden('PASSWORD_LINK_EXPIRED')
  const user = await User.find(claims.u as number)
  if (!user || !user.active || !safeEqual(fingerprint(user), claims.p)) throw AppError.forbidden('PASSWORD_LINK_USED')
  return user
}

/** Uses the link: the new password is set, every session of the user ends, the link is spent. */
export async function usePasswordLink(token: string, password: string, ip?: string) {
  const user = await readPasswordLink(token)
  await changePassword(user, password, { userId: user.id, name: user.fullName, iin: user.iin, role: user.role }, ip)
  return user
}
