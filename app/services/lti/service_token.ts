import { randomUUID } from 'node:crypto'
import AppError from '#exceptions/app_error'
import type System from '#models/system'
import { signAsTool } from '#services/lti/tool_keys'

/**
 * The tool's access token for a platform's services (NRPS roster, AGS grades): the OAuth 2
 * client-credentials grant at the token URL the admin registered (and nowhere else), the client
 * authenticated with a JWT the tool signs (private_key_jwt, 1EdTech Security Framework:
 * iss = sub = client id, aud = token URL, a fresh jti, five minutes to live). Tokens are kept per
 * platform and scopes until a minute before they expire.
 */
type Cached = { token: string; expiresAt: number }
const cache = new Map<string, Cached>()
const TIMEOUT_MS = 10_000

export const SERVICE_SCOPES = {
  members: 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly',
  lineitem: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
  lineitemRead: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly',
  resultRead: 'https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly',
  score: 'https://purl.imsglobal.org/spec/lti-ags/scope/score',
} as const

/** The signed client assertion sent with a token request. */
export async function clientAssertion(system: Pick<System, 'clientId' | 'tokenUrl'>) {
  if (!system.clientId || !system.tokenUrl) throw AppError.badRequest('LTI_PLATFORM_INCOMPLETE')
  return signAsTool({ iss: system.clientId, sub: system.clientId, jti: randomUUID() }, { audience: system.tokenUrl, expiresIn: '5m' })
}

/** A bearer token with these scopes for the platform's services; throws LTI_SERVICE_TOKEN_FAILED. */
export async function serviceToken(system: Pick<System, 'id' | 'clientId' | 'tokenUrl'>, scopes: string[]): Promise<string> {
  const scope = [...new Set(scopes)].sort().join(' ')
  const key = `${system.id} ${system.tokenUrl} ${scope}`
  const cached = cache.get(key)
  if (cached && cached.expiresAt > Date.now()) return cached.token
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: await clientAssertion(system),
    scope,
  })
  let answer: any
  try {
    const response = await fetch(system.tokenUrl!, {
      method: 'POST',
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept': 'application/json' },
    })
    if (!response.ok) {
      await response.body?.cancel().catch(() => {})
      throw new Error(`HTTP ${response.status}`)
    }
    answer = await response.json()
  } catch (error) {
    throw new AppError('LTI_SERVICE_TOKEN_FAILED', 502, { reason: String((error as Error)?.message ?? error).slice(0, 200) })
  }
  if (typeof answer?.access_token !== 'string' || !answer.access_token) {
    throw new AppError('LTI_SERVICE_TOKEN_FAILED', 502, { reason: 'no access_token' })
  }
  const lifetime = Number(answer.expires_in)
  const seconds = Number.isFinite(lifetime) && lifetime > 0 ? lifetime : 3600
  cache.set(key, { token: answer.access_token, expiresAt: Date.now() + Math.max(0, seconds - 60) * 1000 })
  return answer.access_token
}

/** Forgets a platform's tokens (its registration changed, or the platform refused one). */
export function forgetServiceTokens(systemId: number) {
  for (const key of [...cache.keys()]) if (key.startsWith(`${systemId} `)) cache.delete(key)
}
