/** The LTI 1.3 claim names and role URIs the tool reads (1EdTech LTI Core 1.3). */
export const LTI = 'https://purl.imsglobal.org/spec/lti/claim/'
export const CLAIM = {
  messageType: `${LTI}message_type`,
  version: `${LTI}version`,
  deploymentId: `${LTI}deployment_id`,
  targetLinkUri: `${LTI}target_link_uri`,
  resourceLink: `${LTI}resource_link`,
  roles: `${LTI}roles`,
  context: `${LTI}context`,
  custom: `${LTI}custom`,
  launchPresentation: `${LTI}launch_presentation`,
  nrps: 'https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice',
  ags: 'https://purl.imsglobal.org/spec/lti-ags/claim/endpoint',
  deepLinkingSettings: 'https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings',
} as const

const MEMBERSHIP = 'http://purl.imsglobal.org/vocab/lis/v2/membership#'
const INSTITUTION = 'http://purl.imsglobal.org/vocab/lis/v2/institution/person#'
const SYSTEM = 'http://purl.imsglobal.org/vocab/lis/v2/system/person#'

/** Roles that make a launch an instructor's (context roles, and the platform's administrators). */
const INSTRUCTOR_ROLES = new Set([
  `${MEMBERSHIP}Instructor`,
  `${MEMBERSHIP}Administrator`,
  `${MEMBERSHIP}ContentDeveloper`,
  `${INSTITUTION}Administrator`,
  `${SYSTEM}Administrator`,
  'Instructor',
  'Administrator',
  'ContentDeveloper',
])
const LEARNER_ROLES = new Set([`${MEMBERSHIP}Learner`, 'Learner'])

/** What a launch's roles make of the user: an instructor wins over a learner. */
export function launchRole(roles: unknown): 'instructor' | 'learner' | null {
  const list = Array.isArray(roles) ? roles.filter((role): role is string => typeof role === 'string') : []
  /* A sub-role (membership/Instructor#TeachingAssistant) counts as its principal role. */
  const principal = list.map((role) => role.replace(/^http:\/\/purl\.imsglobal\.org\/vocab\/lis\/v2\/membership\/(\w+)#.*$/, `${MEMBERSHIP}$1`))
  if (principal.some((role) => INSTRUCTOR_ROLES.has(role))) return 'instructor'
  if (principal.some((role) => LEARNER_ROLES.has(role))) return 'learner'
  return null
}

/** A string claim, trimmed and bounded; null when absent or not a string. */
export function text(value: unknown, max = 255): string | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null
  const trimmed = String(value).trim()
  return trimmed ? trimmed.slice(0, max) : null
}

/** An object claim, or an empty one. */
export function objectClaim(value: unknown): Record<string, any> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, any>) : {}
}

/** The page language the platform asks for (launch_presentation.locale: "ru", "kk-KZ", "en_US"...). */
export function launchLocale(claims: Record<string, any>): 'kk' | 'ru' | 'en' | null {
  const locale = text(objectClaim(claims[CLAIM.launchPresentation]).locale)?.toLowerCase().slice(0, 2)
  return locale === 'kk' || locale === 'ru' || locale === 'en' ? locale : null
}
