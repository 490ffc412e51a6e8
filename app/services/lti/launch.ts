import { createHash, randomBytes } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import { decodeJwt } from 'jose'
import env from '#start/env'
import AppError from '#exceptions/app_error'
import System from '#models/system'
import type LtiResourceLink from '#models/lti_resource_link'
import { verifyPlatformJwt } from '#services/lti/platform_keys'
import { CLAIM, text } from '#services/lti/claims'

/**
 * A launch whose id_token passed every check: the platform, the deployment it came through,
 * the verified claims and (resource link launches) the resource link row as updated.
 */
export type LtiLaunch = {
  system: System
  deploymentId: string
  claims: Record<string, any>
  resourceLink?: LtiResourceLink
}

/** Minutes a login initiation's state waits for its launch. */
const STATE_MINUTES = 10
/** The cookie that binds a state to the browser (its value's sha256 is kept with the state). */
export const BROWSER_COOKIE = 'lti-browser'

export function appUrl() {
  return String(env.get('APP_URL')).replace(/\/+$/, '')
}

/** The tool's URLs, as a platform is given them. */
export function toolUrls() {
  const base = appUrl()
  return {
    tool: base,
    login: `${base}/lti/login`,
    launch: `${base}/lti/launch`,
    deepLinking: `${base}/lti/launch`,
    jwks: `${base}/lti/jwks`,
    registration: `${base}/lti/register`,
  }
}

export function sha256(value: string) {
  return createHash('sha256').update(value).digest('hex')
}

/** The registered LTI platforms with this issuer (and client id, when the platform named it). */
export async function findPlatform(issuer: string, clientId?: string | null) {
  const query = System.query().where({ kind: 'lti', active: true, issuer })
  if (clientId) query.where('clientId', clientId)
  return query.orderBy('id')
}

export function deploymentIdsOf(system: System) {
  const ids = system.deploymentIds?.length ? system.deploymentIds : []
  return ids.length ? ids : system.deploymentId ? [system.deploymentId] : []
}

/** Whether a target link URI points at this appliance (its APP_URL origin). */
export function isOurs(uri: string) {
  try {
    return new URL(uri).origin === new URL(appUrl()).origin
  } catch {
    return false
  }
}

export type LoginInput = {
  iss?: unknown
  login_hint?: unknown
  target_link_uri?: unknown
  lti_message_hint?: unknown
  client_id?: unknown
  lti_deployment_id?: unknown
}

/**
 * OIDC third-party login initiation: the platform is found by its issuer (and client id),
 * the target must be ours, and a state and nonce are kept on the server (bound to the
 * browser's cookie value). Returns the platform's authorisation URL to send the browser to.
 */
export async function initiateLogin(input: LoginInput, browserValue: string) {
  const issuer = text(input.iss, 1000)
  const loginHint = text(input.login_hint, 2000)
  const target = text(input.target_link_uri, 2000)
  if (!issuer || !loginHint || !target) throw AppError.badRequest('LTI_LOGIN_INVALID')
  const clientId = text(input.client_id, 255)
  const systems = await findPlatform(issuer, clientId)
  if (systems.length === 0) throw AppError.badRequest('LTI_ISSUER_UNKNOWN')
  /* Without a client id, one registration of that issuer must be the only one. */
  if (!clientId && systems.length > 1) throw AppError.badRequest('LTI_CLIENT_ID_REQUIRED')
  const system = systems[0]
  const deployment = text(input.lti_deployment_id, 255)
  if (deployment && !deploymentIdsOf(system).includes(deployment)) throw AppError.badRequest('LTI_DEPLOYMENT_UNKNOWN')
  if (!isOurs(target)) throw AppError.badRequest('LTI_TARGET_INVALID')
  if (!system.authLoginUrl || !system.clientId) throw AppError.badRequest('LTI_PLATFORM_INCOMPLETE')

  const state = randomBytes(24).toString('base64url')
  const nonce = randomBytes(24).toString('base64url')
  const now = Date.now()
  await db.table('lti_launch_states').insert({
    state,
    nonce,
    system_id: system.id,
    browser_binding: sha256(browserValue),
    target_link_uri: target,
    created_at: now,
    expires_at: now + STATE_MINUTES * 60_000,
  })
  const url = new URL(system.authLoginUrl)
  const params: Record<string, string> = {
    scope: 'openid',
    response_type: 'id_token',
    response_mode: 'form_post',
    prompt: 'none',
    client_id: system.clientId,
    redirect_uri: toolUrls().launch,
    login_hint: loginHint,
    state,
    nonce,
  }
  const messageHint = text(input.lti_message_hint, 4000)
  if (messageHint) params.lti_message_hint = messageHint
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value)
  return { system, url: url.toString() }
}

type StateRow = { id: number; state: string; nonce: string; system_id: number; browser_binding: string; expires_at: unknown; used_at: unknown }

function timeOf(value: unknown) {
  return Number(value)
}

/**
 * The launch (the platform's form post of id_token and state). Checks, in this order, each
 * with its own code: the token's platform (issuer, then our client id among its audiences,
 * and azp), the signature against the platform's key set, expiry and issue time (with the
 * allowed skew), the LTI version and message type, the deployment, the nonce (never seen
 * before), the state (issued by us, unused, unexpired, for the same platform and nonce, and
 * bound to this browser when its cookie came). Only then are the state and nonce used up.
 */
export async function verifyLaunch(idToken: unknown, stateValue: unknown, browserValue: string | null): Promise<LtiLaunch> {
  if (typeof idToken !== 'string' || idToken.length > 100_000 || !idToken) throw AppError.badRequest('LTI_TOKEN_INVALID')
  let unverified: Record<string, any>
  try {
    unverified = decodeJwt(idToken)
  } catch {
    throw AppError.badRequest('LTI_TOKEN_INVALID')
  }
  const issuer = text(unverified.iss, 1000)
  if (!issuer) throw AppError.badRequest('LTI_ISSUER_UNKNOWN')
  const systems = await findPlatform(issuer)
  if (systems.length === 0) throw AppError.badRequest('LTI_ISSUER_UNKNOWN')
  const audiences = (Array.isArray(unverified.aud) ? unverified.aud : [unverified.aud]).filter((a): a is string => typeof a === 'string')
  const system = systems.find((s) => s.clientId && audiences.includes(s.clientId))
  if (!system || !system.clientId) throw AppError.badRequest('LTI_AUDIENCE_MISMATCH')

  const claims = (await verifyPlatformJwt(system, idToken, {
    issuer,
    audience: system.clientId,
    requiredClaims: ['exp', 'iat', 'nonce'],
    maxTokenAge: '1h',
  })) as Record<string, any>
  /* Several audiences: the authorised party must be us; one audience: azp, if there, too. */
  if ((audiences.length > 1 || claims.azp !== undefined) && claims.azp !== system.clientId) {
    throw AppError.badRequest('LTI_AUDIENCE_MISMATCH')
  }
  if (claims[CLAIM.version] === undefined) throw AppError.badRequest('LTI_CLAIM_MISSING', { claim: 'version' })
  if (claims[CLAIM.version] !== '1.3.0') throw AppError.badRequest('LTI_VERSION_UNSUPPORTED')
  if (!text(claims[CLAIM.messageType])) throw AppError.badRequest('LTI_CLAIM_MISSING', { claim: 'message_type' })
  const deploymentId = text(claims[CLAIM.deploymentId])
  if (!deploymentId) throw AppError.badRequest('LTI_CLAIM_MISSING', { claim: 'deployment_id' })
  if (!deploymentIdsOf(system).includes(deploymentId)) throw AppError.badRequest('LTI_DEPLOYMENT_UNKNOWN')
  const nonce = text(claims.nonce, 255)
  if (!nonce) throw AppError.badRequest('LTI_CLAIM_MISSING', { claim: 'nonce' })
  /* Where the platform means the launch to land: this appliance, as at the login initiation. */
  const target = text(claims[CLAIM.targetLinkUri], 2000)
  if (target && !isOurs(target)) throw AppError.badRequest('LTI_TARGET_INVALID')

  const used = await db.from('lti_used_nonces').where({ system_id: system.id, nonce }).first()
  if (used) throw AppError.badRequest('LTI_NONCE_REPLAYED')

  const state = typeof stateValue === 'string' && stateValue.length <= 200 ? stateValue : ''
  const row: StateRow | null = state ? await db.from('lti_launch_states').where('state', state).first() : null
  if (
    !row ||
    row.used_at ||
    timeOf(row.expires_at) < Date.now() ||
    Number(row.system_id) !== system.id ||
    row.nonce !== nonce ||
    (browserValue !== null && sha256(browserValue) !== row.browser_binding)
  ) {
    throw AppError.badRequest('LTI_STATE_INVALID')
  }

  const expiresAt = Math.max(Number(claims.exp) * 1000, Date.now()) + 3_600_000
  await db.transaction(async (trx) => {
    const taken = await trx.from('lti_launch_states').where('id', row.id).whereNull('used_at').update({ used_at: Date.now() })
    if (Number(Array.isArray(taken) ? taken[0] : taken) !== 1) throw AppError.badRequest('LTI_STATE_INVALID')
    try {
      await trx.table('lti_used_nonces').insert({ system_id: system.id, nonce, expires_at: expiresAt })
    } catch {
      throw AppError.badRequest('LTI_NONCE_REPLAYED')
    }
  })
  return { system, deploymentId, claims }
}

/** Drops states, nonces and staff tickets past their time (called from the launch now and then). */
export async function sweepLaunchRecords() {
  /* Times here are milliseconds since 1970 (these tables are written with plain queries only). */
  const now = Date.now()
  await db.from('lti_launch_states').where('expires_at', '<', now - 3_600_000).delete()
  await db.from('lti_used_nonces').where('expires_at', '<', now).delete()
  await db.from('lti_staff_tickets').where('expires_at', '<', now - 3_600_000).delete()
}
