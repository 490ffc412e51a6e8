import { createHmac } from 'node:crypto'
import env from '#start/env'

/** What a page needs to reach the SFU: the TURN servers with fresh credentials, and whether to go only through them. */
export function iceSettingsFor(who: string) {
  return { iceServers: iceServersFor(who), iceTransportPolicy: env.get('LIVE_ICE_POLICY') ?? 'all' }
}

/**
 * ICE servers for a browser: coturn's TURN with time-limited credentials (its REST scheme,
 * `use-auth-secret`): the user name is "<expiry>:<who>", the password the base64 HMAC-SHA1 of
 * that name under the shared secret. None when TURN_URLS is empty.
 */
export function iceServersFor(who: string, now = Date.now()) {
  const urls = (env.get('TURN_URLS') ?? '')
    .split(',')
    .map((url) => url.trim())
    .filter(Boolean)
  const secret = env.get('TURN_SECRET')?.release()
  if (urls.length === 0 || !secret) return []
  const expiry = Math.floor(now / 1000) + (env.get('TURN_TTL_SECONDS') ?? 3600)
  const username = `${expiry}:${who}`
  const credential = createHmac('sha1', secret).update(username).digest('base64')
  return [{ urls, username, credential }]
}
