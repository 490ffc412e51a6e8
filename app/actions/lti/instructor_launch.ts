import { createHash, randomBytes } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import Exam from '#models/exam'
import User from '#models/user'
import LtiResourceLink from '#models/lti_resource_link'
import AppError from '#exceptions/app_error'
import { appendEntry, type Actor } from '#actions/audit/record_action'
import { personEmail, personName } from '#actions/lti/learner_launch'
import type { LtiLaunch } from '#services/lti/launch'
import { launchLocale, text } from '#services/lti/claims'

/** Minutes the one-time ticket of an instructor launch stays good (it is used at once). */
const TICKET_MINUTES = 5

const hashOf = (value: string) => createHash('sha256').update(value).digest('hex')

export type TicketPurpose = 'login' | 'choose'
type TicketRow = { id: number; user_id: number; purpose: string; resource_link_id: number | null; redirect_to: string; expires_at: unknown; used_at: unknown }

/** A ticket of this purpose that is still good (not consumed). */
async function ticketRow(client: QueryClientContract, ticket: string, purpose: TicketPurpose): Promise<TicketRow> {
  if (!/^[A-Za-z0-9_-]{20,64}$/.test(ticket)) throw AppError.forbidden('LTI_TICKET_INVALID')
  const row: TicketRow | null = await client.from('lti_staff_tickets').where('token_hash', hashOf(ticket)).first()
  if (!row || row.used_at || row.purpose !== purpose || Number(row.expires_at) < Date.now()) throw AppError.forbidden('LTI_TICKET_INVALID')
  return row
}

/** The exams bound to the resource links of this link's course (or to this link alone, without a course). */
export async function courseExamIds(link: LtiResourceLink, client?: QueryClientContract): Promise<number[]> {
  const query = LtiResourceLink.query({ client }).where('systemId', link.systemId).whereNotNull('examId')
  if (link.contextId) query.where('contextId', link.contextId)
  else query.where('id', link.id)
  const rows = await query.select('examId')
  return [...new Set(rows.map((row) => Number(row.examId)))]
}

/**
 * A teacher's launch (Instructor, Administrator, ContentDeveloper): the staff account of
 * that LMS user (platform + user id) found or made, of role proctor, with no password anyone
 * knows, its scope widened to the exams of the course's resource links (never left empty:
 * a proctor without scope rows sees everything). Archived. Returns the user and a one-time ticket, opened top-level where our cookies
 * are first-party, never inside the LMS's frame: with an exam bound to the activity it signs
 * the browser in (`/staff/lti/enter/<ticket>`); without, it opens the choice of the exam
 * (`/staff/lti/choose/<ticket>`), and only a choice signs in.
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
          locale: launchLocale(claims) ?? 'ru',
          password: randomBytes(32).toString('base64url'),
          lmsSystemId: system.id,
          lmsUserId: sub,
        },
        { client: trx }
      )
    }
    if (!user.active) throw AppError.forbidden('LTI_ACCOUNT_INACTIVE')
    const added = await widenScope(trx, user, examIds)
    /* This activity has no exam yet: the teacher chooses one first (or goes to the course's other exams). */
    const purpose: TicketPurpose = link.examId ? 'login' : 'choose'
    const ticket = randomBytes(24).toString('base64url')
    const now = Date.now()
    await trx.table('lti_staff_tickets').insert({
      token_hash: hashOf(ticket),
      user_id: user.id,
      purpose,
      resource_link_id: link.id,
      redirect_to: '/staff/results',
      created_at: now,
      expires_at: now + TICKET_MINUTES * (purpose === 'choose' ? 6 : 1) * 60_000,
    })
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
    return { user, created, examIds, ticket, purpose }
  })
}

/**
 * Takes a ticket once (unknown, used or expired: LTI_TICKET_INVALID) and returns the user to
 * sign in and where to go; the sign-in itself is archived.
 */
export async function takeTicket(ticket: string, ip?: string) {
  return db.transaction(async (trx) => {
    const row = await ticketRow(trx, ticket, 'login')
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

/** Adds the course's exams to a proctor's scope (never removes what an admin set); returns those added. */
async function widenScope(trx: QueryClientContract, user: User, examIds: number[]) {
  if (user.role !== 'proctor' || examIds.length === 0) return []
  const have = (await trx.from('staff_scopes').where('user_id', user.id).whereNotNull('exam_id').select('exam_id')).map((r: any) => Number(r.exam_id))
  const added = examIds.filter((id) => !have.includes(id))
  if (added.length) await trx.table('staff_scopes').insert(added.map((examId) => ({ user_id: user.id, exam_id: examId, group_id: null, created_at: new Date() })))
  return added
}

/** The exams a teacher may bind to an activity of this platform: not archived, of this platform or of none. */
export function bindableExams(systemId: number) {
  return Exam.query()
    .where('archived', false)
    .where((query) => query.whereNull('systemId').orWhere('systemId', systemId))
    .orderBy('title')
}

/** What the choice page shows for a `choose` ticket (not used up by looking). */
export async function choiceFor(ticket: string) {
  const row = await ticketRow(db.connection(), ticket, 'choose')
  const link = await LtiResourceLink.find(row.resource_link_id ?? 0)
  if (!link) throw AppError.forbidden('LTI_TICKET_INVALID')
  return { link, exams: await bindableExams(link.systemId), courseExamIds: await courseExamIds(link) }
}

/**
 * The teacher's choice for an activity with no exam: an exam (bound to the resource link, the
 * course's exams added to their scope) or, when the course has exams already, its results. The
 * ticket is used up; archived. Returns the user to sign in.
 */
export async function chooseExam(ticket: string, choice: { examId: number | null }, ip?: string) {
  return db.transaction(async (trx) => {
    const row = await ticketRow(trx, ticket, 'choose')
    const link = await LtiResourceLink.find(row.resource_link_id ?? 0, { client: trx })
    const user = await User.find(row.user_id, { client: trx })
    if (!link || !user || !user.active) throw AppError.forbidden('LTI_TICKET_INVALID')
    if (choice.examId !== null) {
      const exam = await bindableExams(link.systemId).useTransaction(trx).where('id', choice.examId).first()
      if (!exam) throw AppError.notFound('EXAM_NOT_FOUND')
      link.examId = exam.id
      await link.save()
    }
    const examIds = await courseExamIds(link, trx)
    /* No exam at all: signing in a proctor without scope rows would show everything. */
    if (examIds.length === 0) throw AppError.notFound('LTI_EXAM_NOT_BOUND')
    await trx.from('lti_staff_tickets').where('id', row.id).update({ used_at: Date.now() })
    const added = await widenScope(trx, user, examIds)
    await appendEntry(trx, { userId: user.id, name: user.fullName, iin: user.iin, role: user.role }, {
      action: choice.examId !== null ? 'lti.resource_link_bind' : 'lti.staff_login',
      subjectType: 'lti_resource_link',
      subjectId: link.id,
      details: { resourceLink: link.resourceLinkId, context: link.contextId, exam: choice.examId, scopeAdded: added },
      ip,
    })
    return { user }
  })
}
