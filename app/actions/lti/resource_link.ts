import { DateTime } from 'luxon'
import Exam from '#models/exam'
import LtiResourceLink from '#models/lti_resource_link'
import AppError from '#exceptions/app_error'
import type { LtiLaunch } from '#services/lti/launch'
import { CLAIM, objectClaim, text } from '#services/lti/claims'

/** A URL claim: http(s) only, bounded; null otherwise. */
export function urlClaim(value: unknown): string | null {
  const url = text(value, 2000)
  if (!url) return null
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.toString() : null
  } catch {
    return null
  }
}

/** The exam a launch's custom parameter `exam` names (deep linking sets it), when it exists. */
async function examFromCustom(claims: Record<string, any>) {
  const value = text(objectClaim(claims[CLAIM.custom]).exam, 20)
  if (!value || !/^\d{1,9}$/.test(value)) return null
  return Exam.find(Number(value))
}

/**
 * The resource link a launch came through, made or brought up to date with the launch's
 * claims: the course (context), the roster (NRPS) and grade (AGS) service URLs, and the
 * exam bound to it (the custom parameter `exam` when it names one, else as it was).
 */
export async function upsertResourceLink(launch: LtiLaunch): Promise<LtiResourceLink> {
  const { system, deploymentId, claims } = launch
  const resourceLink = objectClaim(claims[CLAIM.resourceLink])
  const resourceLinkId = text(resourceLink.id)
  if (!resourceLinkId) throw AppError.badRequest('LTI_CLAIM_MISSING', { claim: 'resource_link.id' })
  const context = objectClaim(claims[CLAIM.context])
  const nrps = objectClaim(claims[CLAIM.nrps])
  const ags = objectClaim(claims[CLAIM.ags])
  const scopes = Array.isArray(ags.scope) ? ags.scope.filter((s: unknown): s is string => typeof s === 'string').slice(0, 20) : null

  const row =
    (await LtiResourceLink.query().where({ systemId: system.id, deploymentId, resourceLinkId }).first()) ?? new LtiResourceLink()
  row.merge({
    systemId: system.id,
    deploymentId,
    resourceLinkId,
    resourceLinkTitle: text(resourceLink.title),
    contextId: text(context.id),
    contextTitle: text(context.title),
    contextLabel: text(context.label),
    nrpsUrl: urlClaim(nrps.context_memberships_url),
    agsLineitemUrl: urlClaim(ags.lineitem),
    agsLineitemsUrl: urlClaim(ags.lineitems),
    agsScopes: scopes,
  })
  const exam = await examFromCustom(claims)
  if (exam) row.examId = exam.id
  if (row.$isPersisted) row.updatedAt = DateTime.now()
  await row.save()
  return row
}
