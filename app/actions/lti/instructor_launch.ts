import { createHash, randomBytes } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import User from '#models/user'
import LtiResourceLink from '#models/lti_resource_link'
import AppError from '#exceptions/app_error'
import { appendEntry, type Actor } from '#actions/audit/record_action'
import { personEmail, personName } from '#actions/lti/learner_launch'
import type { LtiLaunch } from '#services/lti/launch'
import { text } from '#services/lti/claims'

/** Minutes the one-time ticket of an instructor launch stays good (it is used at once). */
const TICKET_MINUTES = 5

const hashOf = (value: string) => createHash('sha256').update(value).digest('hex')

/** The exams bound to the resource links of this link's course (or to this link alone, without a course). */
export async function courseExamIds(link: LtiResourceLink): Promise<number[]> {
  const query = LtiResourceLink.query().where('systemId', link.systemId).whereNotNull('examId')
  if (link.contextId) query.where('contextId', link.contextId)
  else query.where('id', link.id)
  const rows = await query.select('examId')
  return [...new Set(rows.map((row) => Number(row.examId)))]
}

/**
 * A teacher's launch (Instructor, Administrator, ContentDeveloper): the staff account of
 * that LMS user (platform + user id) found or made, of role proctor, with no password anyone
 * knows, its scope widened to the exams of the course's resource links (never left empty:
 * a proctor without scope rows sees everything, so with no exam bound yet nobody is signed
 * in). Archived. Returns the user and, when an exam is bound, a one-time ticket that signs
 * the browser in (`/staff/lti/enter/<ticket>`), opened top-level where our cookies are
 * first-party, never inside the LMS's frame.
 */
export async function instructorLaunch(launch: LtiLaunch, link: LtiResourceLink, ip?: string) {
  const { system, claims } = launch
  const sub = text(claims.sub)
  if (!sub) throw AppError.badRequest('LTI_CLAIM_MISSING', { claim: 'sub' })
  const examIds = await courseExamIds(link)
  const actor: Actor = { userId: null, name: system.name, role: 'system' }

  return db.transaction(async (trx) => {
    let user = await User.query({ client: trx }).where({ lmsSystemId: system.id, lmsUserId: sub }).first()
    const created = !user
    if (!user) {
      const email = personEmail(claims)
      const taken = email ? await User.query({ client: trx }).where('email', email).first() : null
      user = await User.create(
        {
          fullName: personName(claims, sub),
          /* An LMS e-mail that an account here already has stays with that account. */
          email: email && !taken ? email : `lti-${system.id}-${hashOf(sub).slice(0, 16)}@lms.invalid`,
          role: 'proctor',
          active: true,
          locale: 'ru',
          password: randomBytes(32).toString('base64url'),
          lmsSystemId: system.id,
          lmsUserId: sub,
        },
        { client: trx }
      )
    }
    if (!user.active) throw AppError.forbidden('LTI_ACCOUNT_INACTIVE')
    let added: number[] = []
    if (user.role === 'proctor' && examIds.length) {
      const have = (await trx.from('staff_scopes').where('user_id', user.id).whereNotNull('exam_id').select('exam_id')).map((r: any) =>
        Number(r.exam_id)
      )
      added = examIds.filter((id) => !have.includes(id))
      if (added.length) await trx.table('staff_scopes').insert(added.map((examId) => ({ user_id: user.id, exam_id: examId, group_id: null, created_at: new Date() })))
    }
    let ticket: string | null = null
    if (examIds.length || user.role !== 'proctor') {
      ticket = randomBytes(24).toString('base64url')
      const now = Date.now()
      await trx.table('lti_staff_tickets').insert({
        token_hash: hashOf(ticket),
        user_id: user.id,
        purpose: 'login',
        resource_link_id: link.id,
        redirect_to: '/staff/results',
        created_at: now,
        expires_at: now + TICKET_MINUTES * 60_000,
      })
    }
    await appendEntry(trx, actor, {
      action: 'lti.launch_instructor',
      subjectType: 'user',
      subjectId: user.id,
      details: {
        system: system.id,
        deploymentId: launch.deploymentId,
        resourceLink: link.resourceLinkId,
        context: link.contextId,
        lmsUserId: sub,
        created,
        email: user.email,
        scopeAdded: added,
        courseExams: examIds,
      },
      ip,
    })
    return { user, created, examIds, ticket }
  })
}

/**
 * Takes a ticket once (unknown, used or expired: LTI_TICKET_INVALID) and returns the user to
 * sign in and where to go; the sign-in itself is archived.
 */
export async function takeTicket(ticket: string, ip?: string) {
  if (!/^[A-Za-z0-9_-]{20,64}$/.test(ticket)) throw AppError.forbidden('LTI_TICKET_INVALID')
  return db.transaction(async (trx) => {
    const row = await trx.from('lti_staff_tickets').where('token_hash', hashOf(ticket)).first()
    if (!row || row.used_at || Number(row.expires_at) < Date.now()) throw AppError.forbidden('LTI_TICKET_INVALID')
    await trx.from('lti_staff_tickets').where('id', row.id).update({ used_at: Date.now() })
    const user = await User.find(row.user_id, { client: trx })
    if (!user || !user.active) throw AppError.forbidden('LTI_TICKET_INVALID')
    await appendEntry(trx, { userId: user.id, name: user.fullName, iin: user.iin, role: user.role }, {
      action: 'lti.staff_login',
      subjectType: 'user',
      subjectId: user.id,
      details: { resourceLink: row.resource_link_id },
      ip,
    })
    return { user, redirectTo: String(row.redirect_to) }
  })
}
