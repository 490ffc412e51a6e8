import System from '#models/system'
import { WebClient } from '#tests/helpers/http'
import type { LaunchOptions, LtiPlatform } from '#tests/helpers/lti_platform'

/** Registers the fake platform with the tool as an admin would by hand (a systems row of kind 'lti'). */
export async function registerPlatform(platform: LtiPlatform, extra: Partial<System> = {}) {
  const fields = platform.registrationFields
  return System.create({
    kind: 'lti',
    name: fields.name,
    issuer: fields.issuer,
    clientId: fields.clientId,
    deploymentId: platform.deploymentId,
    deploymentIds: [platform.deploymentId],
    authLoginUrl: fields.authLoginUrl,
    tokenUrl: fields.tokenUrl,
    jwksUrl: fields.jwksUrl,
    registrationSource: 'manual',
    active: true,
    ...extra,
  })
}

/**
 * A launch as a browser goes through it, over HTTP with fetch: Moodle's POST to the login
 * initiation, the tool's redirect to the platform's auth URL (answered by the platform without
 * HTTP), then the form post of id_token + state to the tool. `post` may change what is posted.
 */
export async function launchThrough(
  client: WebClient,
  platform: LtiPlatform,
  options: LaunchOptions = {},
  post: (form: { id_token: string; state: string }) => { id_token: string; state: string } = (form) => form
) {
  const login = platform.initiateLogin(`${client.baseUrl}/lti/login`, options)
  const initiated = await client.request('/lti/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: login.params.toString(),
  })
  if (initiated.status !== 302) throw new Error(`the login initiation answered ${initiated.status}: ${await initiated.text()}`)
  const authUrl = initiated.headers.get('location')!
  const answer = await platform.authorize(authUrl)
  const form = post({ id_token: answer.idToken, state: answer.state })
  const response = await client.request(new URL(answer.redirectUri).pathname, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  })
  return { response, form, authUrl, html: await response.text() }
}
