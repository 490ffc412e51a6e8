import { test } from '@japa/runner'
import { createServer } from 'node:http'
import { SignJWT, createLocalJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, type JWK } from 'jose'
import System from '#models/system'
import AppError from '#exceptions/app_error'
import { freePort } from '#tests/helpers/app_server'
import { KEY_SET_TIMING, verifyPlatformJwt } from '#services/lti/platform_keys'
import { publicJwks, rotateKeys, signAsTool } from '#services/lti/tool_keys'
import LtiToolKey from '#models/lti_tool_key'

async function keyPair(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } as JWK }
}

const sign = (key: { kid: string; privateKey: CryptoKey }, kid = key.kid) =>
  new SignJWT({ sub: 'u1' }).setProtectedHeader({ alg: 'RS256', kid }).setIssuer('https://lms.example').setAudience('tool').setIssuedAt().setExpirationTime('5m').sign(key.privateKey)

async function codeOf(promise: Promise<unknown>) {
  try {
    await promise
    return 'OK'
  } catch (error) {
    return error instanceof AppError ? error.code : String(error)
  }
}

test.group("A platform's key set", () => {
  test('is fetched from the registered URL, cached, and fetched again when a token names an unknown kid', async ({ assert, cleanup }) => {
    const first = await keyPair('k1')
    const second = await keyPair('k2')
    let served: JWK[] = [first.jwk]
    let fetches = 0
    const server = createServer((_request, response) => {
      fetches++
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ keys: served }))
    })
    const port = await freePort()
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    cleanup(() => new Promise<void>((resolve) => server.close(() => resolve())))
    const cooldown = KEY_SET_TIMING.cooldownMs
    KEY_SET_TIMING.cooldownMs = 0
    cleanup(() => {
      KEY_SET_TIMING.cooldownMs = cooldown
    })
    const system = await System.create({ kind: 'lti', name: 'Keys', issuer: 'https://lms.example', clientId: 'tool', deploymentIds: ['1'], deploymentId: '1', authLoginUrl: 'https://lms.example/auth', jwksUrl: `http://127.0.0.1:${port}/jwks`, active: true })
    const options = { issuer: 'https://lms.example', audience: 'tool' }

    assert.equal(await codeOf(verifyPlatformJwt(system, await sign(first), options)), 'OK')
    assert.equal(await codeOf(verifyPlatformJwt(system, await sign(first), options)), 'OK')
    assert.equal(fetches, 1, 'the second token is checked against the cached set')

    /* The platform rotates its key: a token with the new kid makes the tool fetch the set again. */
    served = [second.jwk]
    assert.equal(await codeOf(verifyPlatformJwt(system, await sign(second), options)), 'OK')
    assert.equal(fetches, 2)

    /* A kid nobody publishes, and a token signed with another key than its kid's, are refused. */
    assert.equal(await codeOf(verifyPlatformJwt(system, await sign(second, 'k9'), options)), 'LTI_SIGNATURE_INVALID')
    assert.equal(await codeOf(verifyPlatformJwt(system, await sign(first, 'k2'), options)), 'LTI_SIGNATURE_INVALID')

    /* A key set that cannot be fetched is its own failure (502), not a bad signature. */
    const gone = await System.create({ kind: 'lti', name: 'Gone', issuer: 'https://gone.example', clientId: 'tool', deploymentIds: ['1'], deploymentId: '1', authLoginUrl: 'https://gone.example/auth', jwksUrl: `http://127.0.0.1:${await freePort()}/jwks`, active: true })
    assert.equal(await codeOf(verifyPlatformJwt(gone, await sign(first), options)), 'LTI_PLATFORM_KEYS_UNAVAILABLE')
  })

  test("the tool signs with its current key, kept encrypted, and its published key set verifies the signature", async ({ assert }) => {
    const token = await signAsTool({ iss: 'client-1', sub: 'client-1' }, { audience: 'https://lms.example/token' })
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(await publicJwks()), { audience: 'https://lms.example/token', issuer: 'client-1', algorithms: ['RS256'] })
    assert.equal(payload.sub, 'client-1')
    const row = await LtiToolKey.findByOrFail('kid', protectedHeader.kid!)
    assert.notInclude(row.privateJwkEncrypted, '"d"')
    /* After a rotation the new key signs; a token signed just before still verifies. */
    const { kid } = await rotateKeys()
    const after = await signAsTool({ iss: 'client-1', sub: 'client-1' }, { audience: 'x' })
    assert.equal(decodeProtectedHeader(after).kid, kid)
    await jwtVerify(token, createLocalJWKSet(await publicJwks()), { audience: 'https://lms.example/token' })
  })
})
