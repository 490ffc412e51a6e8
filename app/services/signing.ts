import { createHmac, timingSafeEqual } from 'node:crypto'
import env from '#start/env'

/** HMAC-SHA256 of `data` under `purpose`, so one key never signs two kinds of thing alike. */
export function sign(purpose: string, data: string, secret = env.get('APP_KEY').release()) {
  return createHmac('sha256', `${purpose}:${secret}`).update(data).digest('base64url')
}

export function safeEqual(a: string, b: string) {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

/* Tokens already computed, by session: the student API checks one with every call. */
const sessionTokens = new Map<string, string>()

/** The bearer token a student's browser holds for one proctoring session. */
export function sessionToken(publicId: string) {
  let token = sessionTokens.get(publicId)
  if (!token) {
    token = sign('student-session', publicId)
    if (sessionTokens.size >= 50_000) sessionTokens.clear()
    sessionTokens.set(publicId, token)
  }
  return token
}

export function verifySessionToken(publicId: string, token: string | undefined | null) {
  return typeof token === 'string' && safeEqual(sessionToken(publicId), token)
}

/** The token of the phone-camera page of one session: it may upload the phone stream only. */
export function phoneToken(publicId: string) {
  return sign('phone-camera', publicId)
}

/** Which page a bearer token belongs to, if any. */
export function tokenRole(publicId: string, token: string | undefined | null): 'student' | 'phone' | null {
  if (typeof token !== 'string') return null
  if (safeEqual(sessionToken(publicId), token)) return 'student'
  if (safeEqual(phoneToken(publicId), token)) return 'phone'
  return null
}

export function verifyPhoneToken(publicId: string, token: string) {
  return safeEqual(phoneToken(publicId), token)
}
