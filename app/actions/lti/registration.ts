import AppError from '#exceptions/app_error'
import System from '#models/system'
import { recordAction, type Actor } from '#actions/audit/record_action'
import { appUrl, toolUrls } from '#services/lti/launch'
import { SERVICE_SCOPES } from '#services/lti/service_token'
import { forgetPlatformKeys } from '#services/lti/platform_keys'
import { text } from '#services/lti/claims'

/**
 * LTI Dynamic Registration 1.0. The platform (Moodle: "Manage tools" > Tool URL > "Add LTI
 * Advantage") opens `/lti/register?openid_configuration=…&registration_token=…`. The tool reads
 * the platform's configuration from that URL only (its issuer must be the URL's own prefix), an
 * admin confirms, the tool POSTs its registration to the platform's registration endpoint with
 * the token as bearer, and keeps the answer (client id, deployment id) as an LTI system.
 */
const TIMEOUT_MS = 10_000
const PLATFORM_CONFIGURATION = 'https://purl.imsglobal.org/spec/lti-platform-configuration'
const TOOL_CONFIGURATION = 'https://purl.imsglobal.org/spec/lti-tool-configuration'

export type PlatformConfiguration = {
  url: string
  issuer: string
  authorizationEndpoint: string
  tokenEndpoint: string
  jwksUri: string
  registrationEndpoint: string
  product: string | null
  version: string | null
  /** Scopes of ours the platform offers (NRPS, AGS). */
  scopes: string[]
  deepLinking: boolean
}

function httpUrl(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 2000) return null
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.toString() : null
  } catch {
    return null
  }
}

/** The registration page's query, checked: a URL to read and an optional opaque token. */
export function registrationQuery(input: Record<string, unknown>) {
  const url = httpUrl(input.openid_configuration)
  if (!url) throw AppError.badRequest('LTI_REGISTRATION_URL_INVALID')
  const token = input.registration_token
  if (token !== undefined && (typeof token !== 'string' || token.length > 4000 || /[\s\u0000-\u001f]/.test(token))) {
    throw AppError.badRequest('LTI_REGISTRATION_URL_INVALID')
  }
  return { url, token: (token as string | undefined) || null }
}

/** Reads the platform's openid configuration from the URL the platform gave (and nowhere else). */
export async function fetchPlatformConfiguration(configurationUrl: string): Promise<PlatformConfiguration> {
  let body: any
  try {
    const response = await fetch(configurationUrl, {
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
      headers: { accept: 'application/json' },
    })
    if (!response.ok) {
      await response.body?.cancel().catch(() => {})
      throw new Error(`HTTP ${response.status}`)
    }
    body = await response.json()
  } catch {
    throw new AppError('LTI_REGISTRATION_CONFIG_UNAVAILABLE', 502)
  }
  const issuer = text(body?.issuer, 1000)
  /* The issuer is where the configuration came from: the URL starts with it, on the same origin. */
  const issuerUrl = httpUrl(issuer)
  if (!issuer || !issuerUrl || new URL(issuerUrl).origin !== new URL(configurationUrl).origin || !configurationUrl.startsWith(issuer.replace(/\/+$/, ''))) {
    throw AppError.badRequest('LTI_REGISTRATION_ISSUER_MISMATCH')
  }
  const authorizationEndpoint = httpUrl(body.authorization_endpoint)
  const tokenEndpoint = httpUrl(body.token_endpoint)
  const jwksUri = httpUrl(body.jwks_uri)
  const registrationEndpoint = httpUrl(body.registration_endpoint)
  if (!authorizationEndpoint || !tokenEndpoint || !jwksUri || !registrationEndpoint) {
    throw AppError.badRequest('LTI_REGISTRATION_CONFIG_INVALID')
  }
  const platform = body[PLATFORM_CONFIGURATION] && typeof body[PLATFORM_CONFIGURATION] === 'object' ? body[PLATFORM_CONFIGURATION] : {}
  const offered = Array.isArray(body.scopes_supported) ? body.scopes_supported.filter((s: unknown) => typeof s === 'string') : []
  const messages = Array.isArray(platform.messages_supported) ? platform.messages_supported : []
  return {
    url: configurationUrl,
    issuer,
    authorizationEndpoint,
    tokenEndpoint,
    jwksUri,
    registrationEndpoint,
    product: text(platform.product_family_code, 100),
    version: text(platform.version, 50),
    scopes: Object.values(SERVICE_SCOPES).filter((scope) => offered.length === 0 || offered.includes(scope)),
    deepLinking: messages.some((m: any) => m?.type === 'LtiDeepLinkingRequest'),
  }
}

/** A name for the platform in the systems list: "Moodle 5.0 (moodle.uni.kz)". */
export function platformName(config: Pick<PlatformConfiguration, 'product' | 'version' | 'issuer'>) {
  const product = config.product ? config.product.charAt(0).toUpperCase() + config.product.slice(1) : 'LTI'
  return `${product}${config.version ? ` ${config.version}` : ''} (${new URL(config.issuer).host})`.slice(0, 255)
}

/** What the tool asks the platform to register (LTI Dynamic Registration, section 3.3). */
export function toolRegistration(config: PlatformConfiguration, clientName: string) {
  const urls = toolUrls()
  return {
    application_type: 'web',
    response_types: ['id_token'],
    grant_types: ['implicit', 'client_credentials'],
    initiate_login_uri: urls.login,
    redirect_uris: [urls.launch],
    client_name: clientName,
    jwks_uri: urls.jwks,
    token_endpoint_auth_method: 'private_key_jwt',
    scope: config.scopes.join(' '),
    [TOOL_CONFIGURATION]: {
      domain: new URL(appUrl()).host,
      target_link_uri: urls.launch,
      claims: ['iss', 'sub', 'name', 'given_name', 'family_name', 'email'],
      messages: [
        { type: 'LtiResourceLinkRequest', target_link_uri: urls.launch },
        { type: 'LtiDeepLinkingRequest', target_link_uri: urls.deepLinking, label: clientName },
      ],
    },
  }
}

/**
 * Registers the tool with the platform and keeps the platform as an LTI system (the same
 * issuer and client id again: updated). Archived. Returns the system.
 */
export async function completeRegistration(
  query: { url: string; token: string | null },
  clientName: string,
  actor: Actor,
  ip: string
) {
  const config = await fetchPlatformConfiguration(query.url)
  let answer: any
  try {
    const response = await fetch(config.registrationEndpoint, {
      method: 'POST',
      body: JSON.stringify(toolRegistration(config, clientName)),
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
      headers: {
        'content-type': 'application/json',
        'accept': 'application/json',
        ...(query.token ? { authorization: `Bearer ${query.token}` } : {}),
      },
    })
    if (!response.ok) {
      await response.body?.cancel().catch(() => {})
      throw new Error(`HTTP ${response.status}`)
    }
    answer = await response.json()
  } catch {
    throw new AppError('LTI_REGISTRATION_REFUSED', 502)
  }
  const clientId = text(answer?.client_id, 255)
  const toolConfig = answer?.[TOOL_CONFIGURATION] && typeof answer[TOOL_CONFIGURATION] === 'object' ? answer[TOOL_CONFIGURATION] : {}
  const deploymentId = text(toolConfig.deployment_id, 255)
  if (!clientId) throw new AppError('LTI_REGISTRATION_REFUSED', 502)

  const existing = await System.query().where({ kind: 'lti', issuer: config.issuer, clientId }).first()
  const system = existing ?? new System()
  const before = existing ? { name: existing.name, deploymentIds: existing.deploymentIds, active: existing.active } : null
  const deploymentIds = [...new Set([...(existing?.deploymentIds ?? []), ...(deploymentId ? [deploymentId] : [])])]
  /* Moodle gives a new client id on each registration: a second one of the same LMS gets its own name. */
  let name = existing?.name ?? platformName(config)
  if (!existing && (await System.query().where('name', name).first())) name = `${name} · ${clientId.slice(0, 12)}`.slice(0, 255)
  system.merge({
    name,
    kind: 'lti',
    issuer: config.issuer,
    clientId,
    deploymentId: deploymentIds[0] ?? null,
    deploymentIds,
    authLoginUrl: config.authorizationEndpoint,
    tokenUrl: config.tokenEndpoint,
    jwksUrl: config.jwksUri,
    registrationSource: 'dynamic',
    active: true,
  })
  await system.save()
  forgetPlatformKeys(system.id)
  await recordAction(actor, {
    action: existing ? 'lti.registration_updated' : 'lti.registered',
    subjectType: 'system',
    subjectId: system.id,
    details: {
      source: 'dynamic',
      before,
      name: system.name,
      issuer: system.issuer,
      clientId,
      deploymentIds,
      authLoginUrl: system.authLoginUrl,
      tokenUrl: system.tokenUrl,
      jwksUrl: system.jwksUrl,
      scopes: config.scopes,
    },
    ip,
  })
  return system
}
