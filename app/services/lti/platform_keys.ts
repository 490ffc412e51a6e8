import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose'
import env from '#start/env'
import AppError from '#exceptions/app_error'
import type System from '#models/system'

/**
 * Verifying what a platform signed (the launch's id_token; LTI-SERVICES: its other JWTs)
 * against the platform's key set. The set is fetched from the URL the admin registered (and
 * from nowhere else), kept per platform, and fetched again when a token names a kid it does
 * not hold (jose's remote key set: at most once per cooldown, so a flood of unknown kids
 * cannot make us hammer the platform).
 */
type RemoteSet = ReturnType<typeof createRemoteJWKSet>
/** A key set is kept 10 minutes; an unknown kid fetches it again, at most once per cooldown (tests shorten it). */
export const KEY_SET_TIMING = { cooldownMs: 30_000, cacheMaxAgeMs: 10 * 60_000 }
const sets = new Map<string, RemoteSet>()

/** Seconds of clock difference allowed between the platform and us (exp, iat, nbf). */
export function clockSkewSeconds() {
  const value = env.get('LTI_CLOCK_SKEW_SECONDS', 60)
  return Number.isFinite(value) && value >= 0 ? value : 60
}

export function platformKeySet(system: Pick<System, 'id' | 'jwksUrl'>): RemoteSet {
  if (!system.jwksUrl) throw AppError.badRequest('LTI_PLATFORM_KEYS_UNAVAILABLE')
  const cacheKey = `${system.id} ${system.jwksUrl}`
  let set = sets.get(cacheKey)
  if (!set) {
    let url: URL
    try {
      url = new URL(system.jwksUrl)
    } catch {
      throw AppError.badRequest('LTI_PLATFORM_KEYS_UNAVAILABLE')
    }
    set = createRemoteJWKSet(url, { timeoutDuration: 5000, cooldownDuration: KEY_SET_TIMING.cooldownMs, cacheMaxAge: KEY_SET_TIMING.cacheMaxAgeMs })
    sets.set(cacheKey, set)
  }
  return set
}

/** Forgets the cached key sets of a platform (its key-set URL changed, or it was removed). */
export function forgetPlatformKeys(systemId: number) {
  for (const key of [...sets.keys()]) if (key.startsWith(`${systemId} `)) sets.delete(key)
}

/** The stable code of a jose failure. */
export function joseErrorCode(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'LTI_TOKEN_EXPIRED'
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return 'LTI_CLAIM_MISSING'
    if (error.claim === 'aud') return 'LTI_AUDIENCE_MISMATCH'
    if (error.claim === 'iss') return 'LTI_ISSUER_UNKNOWN'
    if (error.claim === 'iat' || error.claim === 'nbf' || error.claim === 'exp') return 'LTI_TOKEN_EXPIRED'
    return 'LTI_CLAIM_MISSING'
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'LTI_SIGNATURE_INVALID'
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) return 'LTI_SIGNATURE_INVALID'
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return 'LTI_SIGNATURE_INVALID'
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return 'LTI_PLATFORM_KEYS_UNAVAILABLE'
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'LTI_TOKEN_INVALID'
  if (error instanceof AppError) return error.code!
  /* The key set could not be fetched (connection refused, not JSON...). */
  return 'LTI_PLATFORM_KEYS_UNAVAILABLE'
}

/**
 * Verifies a JWT signed by the platform: RS256 (the algorithms LTI allows), its key set,
 * and the given issuer / audience checks with the clock skew allowed. Throws AppError
 * with the code of what failed (400; 502 when the key set cannot be had).
 */
export async function verifyPlatformJwt(
  system: Pick<System, 'id' | 'jwksUrl'>,
  token: string,
  options: Omit<JWTVerifyOptions, 'algorithms' | 'clockTolerance'> = {}
): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, platformKeySet(system), {
      algorithms: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'PS256'],
      clockTolerance: clockSkewSeconds(),
      ...options,
    })
    return payload
  } catch (error) {
    const code = joseErrorCode(error)
    const claim = error instanceof errors.JWTClaimValidationFailed ? error.claim : ''
    throw new AppError(code, code === 'LTI_PLATFORM_KEYS_UNAVAILABLE' ? 502 : 400, { claim })
  }
}
