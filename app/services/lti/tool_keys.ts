import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import encryption from '@adonisjs/core/services/encryption'
import { SignJWT, exportJWK, generateKeyPair, importJWK, type JWK, type JWTPayload } from 'jose'
import LtiToolKey from '#models/lti_tool_key'

/**
 * The tool's own LTI signing keys (RS256). The first key is made on first use; the private
 * half is kept encrypted with the app key. The published key set (/lti/jwks) serves every key
 * not retired: a rotation makes a new current key and retires all but it and the one before,
 * so a platform that cached the old set still verifies what was signed just before.
 */
const ALG = 'RS256'
const PURPOSE = 'lti-tool-key'

type LoadedKey = { kid: string; privateKey: CryptoKey }
const loaded = new Map<string, CryptoKey>()
let making: Promise<LtiToolKey> | null = null

async function makeKey(): Promise<LtiToolKey> {
  const { privateKey, publicKey } = await generateKeyPair(ALG, { modulusLength: 2048, extractable: true })
  const kid = randomUUID()
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: ALG }
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' }
  return LtiToolKey.create({
    kid,
    privateJwkEncrypted: encryption.encrypt(JSON.stringify(privateJwk), { purpose: PURPOSE }),
    publicJwk: JSON.stringify(publicJwk),
    alg: ALG,
  })
}

async function newestKey() {
  return LtiToolKey.query().whereNull('retiredAt').orderBy('id', 'desc').first()
}

/** The key the tool signs with now; made (once, even when asked at the same moment) on first use. */
export async function currentKeyRow(): Promise<LtiToolKey> {
  const row = await newestKey()
  if (row) return row
  making ??= makeKey().finally(() => (making = null))
  return making
}

export async function currentKey(): Promise<LoadedKey> {
  const row = await currentKeyRow()
  let privateKey = loaded.get(row.kid)
  if (!privateKey) {
    const json = encryption.decrypt<string>(row.privateJwkEncrypted, PURPOSE)
    if (!json) throw new Error('The LTI tool key cannot be decrypted with this APP_KEY')
    privateKey = (await importJWK(JSON.parse(json) as JWK, ALG)) as CryptoKey
    loaded.set(row.kid, privateKey)
  }
  return { kid: row.kid, privateKey }
}

/** The public key set: every key not retired, newest first. */
export async function publicJwks(): Promise<{ keys: JWK[] }> {
  await currentKeyRow()
  const rows = await LtiToolKey.query().whereNull('retiredAt').orderBy('id', 'desc')
  return { keys: rows.map((row) => JSON.parse(row.publicJwk) as JWK) }
}

/** A new current key; all but it and the previous one leave the key set. Returns the new kid. */
export async function rotateKeys(): Promise<{ kid: string; retired: string[] }> {
  await currentKeyRow()
  const row = await makeKey()
  const keep = await LtiToolKey.query().whereNull('retiredAt').orderBy('id', 'desc').limit(2).select('id')
  const retire = await LtiToolKey.query()
    .whereNull('retiredAt')
    .whereNotIn('id', keep.map((key) => key.id))
  for (const key of retire) {
    key.retiredAt = DateTime.now()
    await key.save()
  }
  return { kid: row.kid, retired: retire.map((key) => key.kid) }
}

/**
 * A JWT signed by the tool (RS256, its current kid in the header). The caller gives iss/sub
 * and every other claim; iat is now, exp `expiresIn` from now (default 5 minutes).
 */
export async function signAsTool(
  claims: JWTPayload,
  opts: { audience: string | string[]; expiresIn?: string; typ?: string }
): Promise<string> {
  const { kid, privateKey } = await currentKey()
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: ALG, kid, ...(opts.typ ? { typ: opts.typ } : {}) })
    .setIssuedAt()
    .setExpirationTime(opts.expiresIn ?? '5m')
    .setAudience(opts.audience)
  return jwt.sign(privateKey)
}
