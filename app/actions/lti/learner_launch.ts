import db from '@adonisjs/lucid/services/db'
import Exam from '#models/exam'
import Group from '#models/group'
import Candidate from '#models/candidate'
import type LtiResourceLink from '#models/lti_resource_link'
import AppError from '#exceptions/app_error'
import { appendEntry, type Actor } from '#actions/audit/record_action'
import { openSession } from '#actions/sessions/open_session'
import { issueStudentLink } from '#actions/sessions/student_link'
import { urlClaim } from '#actions/lti/resource_link'
import type { LtiLaunch } from '#services/lti/launch'
import { CLAIM, objectClaim, text } from '#services/lti/claims'

/** Hours the student link made by a launch stays good (an exam and its reconnections fit in it). */
export const LTI_LINK_HOURS = 12

/** The LMS user's name as the claims give it: name, else given + family name, else their LMS id. */
export function personName(claims: Record<string, any>, fallback: string) {
  const full = text(claims.name, 200)
  if (full) return full
  const parts = [text(claims.given_name, 100), text(claims.family_name, 100)].filter(Boolean)
  return parts.length ? parts.join(' ') : fallback
}

export function personEmail(claims: Record<string, any>) {
  const email = text(claims.email, 254)
  return email && /^[^\s@]+@[^\s@]+$/.test(email) ? email.toLowerCase() : null
}

/**
 * A student's launch (role Learner): the exam bound to the resource link (else
 * LTI_EXAM_NOT_BOUND), the candidate found by (platform, LMS user id) or made, with the name,
 * e-mail and group (the course) the LMS gives, the session opened with the platform recorded
 * on it and the quiz to frame when the launch names one (custom parameter quiz_url), all
 * archived. Returns the student link the browser continues with: the normal student flow.
 */
export async function learnerLaunch(launch: LtiLaunch, link: LtiResourceLink, ip?: string) {
  const { system, claims } = launch
  const sub = text(claims.sub)
  if (!sub) throw AppError.badRequest('LTI_CLAIM_MISSING', { claim: 'sub' })
  const exam = link.examId ? await Exam.find(link.examId) : null
  if (!exam) throw AppError.notFound('LTI_EXAM_NOT_BOUND')
  const quizUrl = urlClaim(objectClaim(claims[CLAIM.custom]).quiz_url)
  const groupName = text(link.contextTitle, 100) ?? text(link.contextLabel, 100)
  const actor: Actor = { userId: null, name: system.name, role: 'system' }

  const candidate = await db.transaction(async (trx) => {
    let groupId: number | null = null
    if (groupName) {
      const group = (await Group.query({ client: trx }).where('name', groupName).first()) ?? (await Group.create({ name: groupName }, { client: trx }))
      groupId = group.id
    }
    const found = await Candidate.query({ client: trx }).where({ systemId: system.id, externalId: sub }).first()
    const wanted = { fullName: personName(claims, sub), email: personEmail(claims), groupId }
    const changes: Record<string, [unknown, unknown]> = {}
    for (const [key, value] of Object.entries(wanted)) {
      const before = found ? ((found as any)[key] ?? null) : null
      if (before !== value) changes[key] = [before, value]
    }
    const row = found ?? new Candidate()
    row.useTransaction(trx)
    row.merge({ ...wanted, systemId: system.id, externalId: sub })
    if (!found || Object.keys(changes).length) await row.save()
    await appendEntry(trx, actor, {
      action: 'lti.launch_learner',
      subjectType: 'candidate',
      subjectId: row.id,
      details: {
        system: system.id,
        deploymentId: launch.deploymentId,
        resourceLink: link.resourceLinkId,
        context: link.contextId,
        exam: exam.id,
        lmsUserId: sub,
        created: !found,
        changes,
        quizUrl,
      },
      ip,
    })
    return row
  })

  const { session } = await openSession(exam.id, candidate.id)
  const wantedQuiz = quizUrl ?? session.quizUrl
  if (session.systemId !== system.id || session.quizUrl !== wantedQuiz) {
    session.systemId = system.id
    session.quizUrl = wantedQuiz
    await session.save()
  }
  /* Short-lived: the student comes back through the LMS (a new launch, a new link) rather than keeping it. */
  return { session, exam, candidate, path: issueStudentLink(exam.id, candidate.id, LTI_LINK_HOURS).path }
}
