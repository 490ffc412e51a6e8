import { createHmac } from 'node:crypto'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import AppError from '#exceptions/app_error'
import System from '#models/system'
import Exam from '#models/exam'
import Group from '#models/group'
import Candidate from '#models/candidate'
import { safeEqual } from '#services/signing'
import { appendEntry, type Actor } from '#actions/audit/record_action'
import { assertExamOpen } from '#actions/exams/exam_window'
import { openSession } from '#actions/sessions/open_session'
import { issueStudentLink } from '#actions/sessions/student_link'
import { secretOf } from '#actions/systems/secrets'

/*
| A signed link built by another system (a university portal), README "Other systems":
|
|   /x/<system id>/<payload>.<signature>
|
| payload   = base64url of the UTF-8 JSON {"exam", "id", "name", "email", "group", "exp", "nonce"}
| signature = lowercase hex HMAC-SHA256 of the payload text (exactly as in the URL) under the
|             system's link secret
|
| The payload text is the canonical form: the signature covers the very bytes the appliance
| reads, so no field order or encoding rule has to be agreed. Checked, in this order: the
| system (known, of kind "link", active, with a secret), the signature (constant time), the
| fields, the expiry (60 s of clock skew either way; at most 7 days ahead), the exam (exists,
| open now), and last the nonce, taken once: a second opening of the same link is refused.
*/

export const LINK_SKEW_SECONDS = 60
export const LINK_MAX_LIFETIME_SECONDS = 7 * 24 * 3600

export type SystemLinkClaims = {
  exam: number
  id: string
  name: string
  email: string | null
  group: string | null
  exp: number
  nonce: string
}

/** The signature a system puts on a payload (the tests and the README's example do the same). */
export function signSystemPayload(secret: string, payload: string) {
  return createHmac('sha256', secret).update(payload).digest('hex')
}

const CONTROL = /[\u0000-\u001f\u007f]/
const text = (value: unknown, min: number, max: number) =>
  typeof value === 'string' && value.trim().length >= min && value.length <= max && !CONTROL.test(value)

function readClaims(payload: string): SystemLinkClaims {
  let raw: Record<string, unknown>
  try {
    raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    throw AppError.badRequest('SYSTEM_LINK_MALFORMED')
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw AppError.badRequest('SYSTEM_LINK_MALFORMED')
  const { exam, id, name, email, group, exp, nonce } = raw
  const optional = (value: unknown, max: number) => value === undefined || value === null || value === '' || text(value, 1, max)
  const valid =
    Number.isSafeInteger(exam) && (exam as number) > 0 &&
    text(id, 1, 100) &&
    text(name, 2, 200) &&
    optional(email, 254) && (typeof email !== 'string' || email === '' || /^[^\s@]+@[^\s@]+$/.test(email)) &&
    optional(group, 100) &&
    Number.isSafeInteger(exp) &&
    typeof nonce === 'string' && /^[A-Za-z0-9_-]{16,64}$/.test(nonce)
  if (!valid) throw AppError.badRequest('SYSTEM_LINK_MALFORMED')
  return {
    exam: exam as number,
    id: (id as string).trim(),
    name: (name as string).trim(),
    email: typeof email === 'string' && email.trim() ? email.trim() : null,
    group: typeof group === 'string' && group.trim() ? group.trim() : null,
    exp: exp as number,
    nonce: nonce as string,
  }
}

/** The system a link names: known, a signed-link system, switched on, with a secret. */
async function linkSystem(systemId: unknown) {
  const id = /^\d{1,9}$/.test(String(systemId)) ? Number(systemId) : null
  const system = id ? await System.find(id) : null
  if (!system || system.kind !== 'link') throw AppError.notFound('SYSTEM_UNKNOWN')
  if (!system.active) throw AppError.forbidden('SYSTEM_INACTIVE')
  const secret = secretOf(system, 'link')
  if (!secret) throw AppError.forbidden('SYSTEM_SECRET_MISSING')
  return { system, secret }
}

/** Checks everything a link says without taking its nonce: the system, the signature, the fields, the time, the exam. */
export async function readSystemLink(systemId: unknown, token: unknown, now = DateTime.now()) {
  const { system, secret } = await linkSystem(systemId)
  const [payload, signature, extra] = String(token ?? '').split('.')
  if (!payload || !signature || extra !== undefined || payload.length > 4000 || !/^[A-Za-z0-9_-]+=*$/.test(payload)) {
    throw AppError.forbidden('SYSTEM_LINK_INVALID')
  }
  if (!safeEqual(signSystemPayload(secret, payload), signature.toLowerCase())) throw AppError.forbidden('SYSTEM_LINK_INVALID')
  const claims = readClaims(payload)
  const seconds = Math.floor(now.toSeconds())
  if (claims.exp + LINK_SKEW_SECONDS < seconds) throw AppError.forbidden('SYSTEM_LINK_EXPIRED')
  if (claims.exp - seconds > LINK_MAX_LIFETIME_SECONDS + LINK_SKEW_SECONDS) throw AppError.forbidden('SYSTEM_LINK_EXPIRY_TOO_FAR')
  const exam = await Exam.find(claims.exam)
  if (!exam) throw AppError.notFound('EXAM_NOT_FOUND')
  /* An archived exam takes no new entries, as with the panel's links (issue_links.ts). */
  if (exam.archived) throw AppError.conflict('EXAM_ARCHIVED', { ids: String(exam.id) })
  /* Not yet open or closed: said before the nonce is taken, so the student may come back with the same link. */
  assertExamOpen(exam, now)
  return { system, claims, exam }
}

function isUniqueViolation(error: unknown) {
  const text = String((error as any)?.code ?? '') + String((error as any)?.message ?? '')
  return /UNIQUE|SQLITE_CONSTRAINT|23505/i.test(text)
}

/**
 * Lets the link's student in: takes the nonce (once only: SYSTEM_LINK_REPLAYED), finds or
 * makes the candidate by (system, external id) and keeps their name, e-mail and group as the
 * system says, opens the session with the system recorded on it (the results filter
 * "system"), and archives the admission. Returns the student link to continue with: the
 * normal student flow, which the student may reload (this link may not be opened again).
 */
export async function admitSystemLink(systemId: unknown, token: unknown, ip?: string) {
  const now = DateTime.now()
  const { system, claims, exam } = await readSystemLink(systemId, token, now)
  const actor: Actor = { userId: null, name: system.name, role: 'system' }

  const candidate = await db.transaction(async (trx) => {
    await trx.from('system_link_nonces').where('expires_at', '<', Math.floor(now.toSeconds())).delete()
    try {
      await trx.table('system_link_nonces').insert({
        system_id: system.id,
        nonce: claims.nonce,
        expires_at: claims.exp + LINK_SKEW_SECONDS,
        created_at: now.toJSDate(),
      })
    } catch (error) {
      if (isUniqueViolation(error)) throw AppError.forbidden('SYSTEM_LINK_REPLAYED')
      throw error
    }
    let groupId: number | null = null
    if (claims.group) {
      const group = (await Group.query({ client: trx }).where('name', claims.group).first()) ??
        (await Group.create({ name: claims.group }, { client: trx }))
      groupId = group.id
    }
    const found = await Candidate.query({ client: trx }).where({ systemId: system.id, externalId: claims.id }).first()
    const wanted = { fullName: claims.name, email: claims.email, groupId }
    const changes: Record<string, [unknown, unknown]> = {}
    const row = found ?? new Candidate()
    for (const [key, value] of Object.entries(wanted)) {
      const before = found ? ((found as any)[key] ?? null) : null
      if (before !== value) changes[key] = [before, value]
    }
    row.useTransaction(trx)
    row.merge({ ...wanted, systemId: system.id, externalId: claims.id })
    if (!found || Object.keys(changes).length) await row.save()
    await appendEntry(trx, actor, {
      action: 'system_link.admit',
      subjectType: 'candidate',
      subjectId: row.id,
      details: { system: system.id, exam: exam.id, externalId: claims.id, created: !found, changes, nonce: claims.nonce },
      ip,
    })
    return row
  })

  const { session } = await openSession(exam.id, candidate.id)
  /* A session not yet begun came through this system; one already under way or ended keeps what it had. */
  if (session.status === 'not_started' && session.systemId !== system.id) {
    session.systemId = system.id
    await session.save()
  }
  return { session, link: issueStudentLink(exam.id, candidate.id).path }
}
