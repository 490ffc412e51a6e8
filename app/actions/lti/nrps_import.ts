import db from '@adonisjs/lucid/services/db'
import AppError from '#exceptions/app_error'
import Candidate from '#models/candidate'
import Group from '#models/group'
import System from '#models/system'
import type LtiResourceLink from '#models/lti_resource_link'
import { appendEntry, type Actor } from '#actions/audit/record_action'
import { SERVICE_SCOPES, serviceToken } from '#services/lti/service_token'
import { launchRole, text } from '#services/lti/claims'

/**
 * Names and Role Provisioning Services 2.0: the course roster of a resource link, imported as
 * candidates with one click and updated by the next. Learners become (or update) candidates of
 * the platform's system with the LMS user id as external id, their name and e-mail, and the
 * course's group; instructors and members no longer active are skipped. Pages are followed
 * through `Link: <…>; rel="next"`, only on the roster URL's own origin.
 */
const MAX_PAGES = 200
const TIMEOUT_MS = 15_000
const MEDIA_TYPE = 'application/vnd.ims.lti-nrps.v2.membershipcontainer+json'

export type RosterResult = { created: number; updated: number; unchanged: number; skipped: number; total: number }

/** The group a course's candidates go in: the course's title, else its short name (as a learner launch does). */
export function courseGroupName(link: Pick<LtiResourceLink, 'contextLabel' | 'contextTitle'>) {
  return text(link.contextTitle, 100) ?? text(link.contextLabel, 100)
}

function nextLink(header: string | null, base: string) {
  if (!header) return null
  for (const part of header.split(',')) {
    const match = /<([^>]+)>\s*;(.*)/.exec(part.trim())
    if (match && /rel="?([^";]*\s)?next(\s[^";]*)?"?/i.test(match[2])) {
      try {
        const url = new URL(match[1], base)
        return url.origin === new URL(base).origin ? url.toString() : null
      } catch {
        return null
      }
    }
  }
  return null
}

/** Every member of the roster, page after page. */
async function fetchRoster(system: System, url: string) {
  const token = await serviceToken(system, [SERVICE_SCOPES.members])
  const members: Record<string, any>[] = []
  let next: string | null = url
  for (let page = 0; next && page < MAX_PAGES; page++) {
    let response: Response
    try {
      response = await fetch(next, {
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
        headers: { authorization: `Bearer ${token}`, accept: MEDIA_TYPE },
      })
    } catch (error) {
      throw new AppError('LTI_ROSTER_FAILED', 502, { reason: String((error as Error)?.message ?? error).slice(0, 200) })
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {})
      throw new AppError('LTI_ROSTER_FAILED', 502, { reason: `HTTP ${response.status}` })
    }
    const body = (await response.json().catch(() => null)) as { members?: unknown } | null
    if (!body || !Array.isArray(body.members)) throw new AppError('LTI_ROSTER_FAILED', 502, { reason: 'not a membership container' })
    members.push(...body.members.filter((m): m is Record<string, any> => !!m && typeof m === 'object'))
    next = nextLink(response.headers.get('link'), next)
  }
  return members
}

export async function importRoster(link: LtiResourceLink, actor: Actor, ip: string): Promise<RosterResult> {
  if (!link.nrpsUrl) throw AppError.badRequest('LTI_ROSTER_UNAVAILABLE')
  const system = await System.find(link.systemId)
  if (!system || !system.active) throw AppError.badRequest('LTI_ROSTER_UNAVAILABLE')
  const members = await fetchRoster(system, link.nrpsUrl)
  const groupName = courseGroupName(link)

  return db.transaction(async (trx) => {
    const result: RosterResult = { created: 0, updated: 0, unchanged: 0, skipped: 0, total: members.length }
    let group = groupName ? await Group.query({ client: trx }).where('name', groupName).first() : null
    if (groupName && !group) group = await Group.create({ name: groupName }, { client: trx })
    const seen = new Set<string>()
    for (const member of members) {
      const userId = text(member.user_id, 255)
      const status = text(member.status) ?? 'Active'
      const name =
        text(member.name, 255) ?? ([text(member.given_name), text(member.family_name)].filter(Boolean).join(' ') || null)
      if (!userId || seen.has(userId) || status !== 'Active' || launchRole(member.roles) !== 'learner' || !name) {
        result.skipped++
        continue
      }
      seen.add(userId)
      const email = text(member.email, 255)
      const existing = await Candidate.query({ client: trx }).where({ systemId: system.id, externalId: userId }).first()
      if (!existing) {
        await Candidate.create(
          { fullName: name, email, groupId: group?.id ?? null, systemId: system.id, externalId: userId },
          { client: trx }
        )
        result.created++
        continue
      }
      existing.fullName = name
      if (email) existing.email = email
      if (group) existing.groupId = group.id
      if (existing.$isDirty) {
        await existing.useTransaction(trx).save()
        result.updated++
      } else {
        result.unchanged++
      }
    }
    await appendEntry(trx, actor, {
      action: 'lti.roster_imported',
      subjectType: 'lti_resource_link',
      subjectId: link.id,
      details: { system: system.name, course: link.contextTitle, group: groupName, ...result },
      ip,
    })
    return result
  })
}
