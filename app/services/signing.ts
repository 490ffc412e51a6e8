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

/** The bearer token a student's browser holds for one proctoring session. */
export function sessionToken(publicId: string) {
  return sign('student-session', publicId)
}

export function verifySessionToken(publicId: string, token: string | undefined | null) {
  return typeof token === 'string' && safeEqual(sessionToken(publicId), token)
}
