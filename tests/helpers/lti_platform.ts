import { randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import {
  SignJWT,
  createRemoteJWKSet,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose'
import { freePort } from './app_server.js'

/**
 * A fake LTI 1.3 platform (a stand-in for Moodle 5.0) on loopback, made by a test.
 *
 *   const platform = await LtiPlatform.start({ toolUrl: 'http://127.0.0.1:3333' })
 *   // register it with the tool: platform.issuer, .clientId, .deploymentId, .authUrl, .tokenUrl, .jwksUrl
 *   const login = platform.initiateLogin(`${toolUrl}/lti/login`, { roles: [LTI_ROLES.learner] })
 *   // a browser: page.goto(login.url); a fetch: POST login.params to login.action (or GET login.url),
 *   // follow the tool's redirect to platform.authUrl?…, whose answer is an auto-submitting form
 *   // POSTing id_token + state to the tool's redirect_uri (platform.authorize(url) gives the same without HTTP).
 *   await platform.stop()
 *
 * Its own RSA key pair (RS256, kid `platform-1`), served at `/jwks`. Endpoints (all under `issuer`):
 * - `GET /auth` OIDC authorisation: checks the tool's request (response_type=id_token, scope=openid,
 *   response_mode=form_post, client_id, a registered redirect_uri, a login_hint it issued, nonce,
 *   state) and answers an auto-posting form; the id_token's claims come from the launch options given
 *   to `initiateLogin` (roles, user, context, resource link, custom, message type, NRPS/AGS claims),
 *   and `tamper` spoils one thing: 'signature' | 'audience' | 'deployment' | 'expired' | 'issuer'.
 *   A refused request is recorded in `authErrors` and answered 400.
 * - `POST /token` client_credentials with a private_key_jwt client assertion, VERIFIED against the
 *   tool's key set (`${toolUrl}/lti/jwks`: iss = sub = client id, aud = token URL, exp, jti once);
 *   each request is recorded in `tokenRequests` (assertion header and payload, scopes, ok / error).
 * - NRPS `GET /nrps/<context id>/members` (bearer with the contextmembership scope): `roster`, paged
 *   by `pageSize` with `Link: <…>; rel="next"`; `rosterRequests` counts the calls.
 * - AGS `GET /ags/<context id>/lineitems`, `GET …/lineitems/1/lineitem`, `POST …/lineitems/1/lineitem/scores`
 *   (bearer with the score scope): each score is recorded in `scores` with the token's grant.
 * - Deep linking return `POST /deep_link_return` (form field JWT): verified with jose against the
 *   tool's key set (iss = client id, aud = issuer, LtiDeepLinkingResponse, deployment id), recorded in
 *   `deepLinkResponses` (payload or error); answers a small HTML page "Content selected".
 * - Dynamic registration: `GET /.well-known/openid-configuration` and `POST /register` (bearer =
 *   `registrationToken`), recorded in `registrations`; answers with `clientId` and deployment '1'.
 *   `dynamicRegistrationUrl(toolRegisterUrl)` is what Moodle would open; `GET /admin/register?tool=…`
 *   is a page that opens it in a window (`&frame=1`: in an iframe, as Moodle does) and shows "closed"
 *   once the tool posts org.imsglobal.lti.close.
 */

export const LTI = 'https://purl.imsglobal.org/spec/lti/claim'
export const LTI_ROLES = {
  learner: 'http://purl.imsglobal.org/vocab/lis/v2/membership#Learner',
  instructor: 'http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor',
  administrator: 'http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator',
}
export const SCOPES = {
  members: 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly',
  lineitem: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
  lineitemRead: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly',
  resultRead: 'https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly',
  score: 'https://purl.imsglobal.org/spec/lti-ags/scope/score',
}

export type Tamper = 'signature' | 'audience' | 'deployment' | 'expired' | 'issuer'

export interface LaunchOptions {
  messageType?: 'LtiResourceLinkRequest' | 'LtiDeepLinkingRequest'
  roles?: string[]
  user?: { id?: string; name?: string; givenName?: string; familyName?: string; email?: string }
  context?: { id?: string; label?: string; title?: string }
  resourceLink?: { id?: string; title?: string }
  custom?: Record<string, string>
  locale?: string
  /** Where the tool should land (the target_link_uri claim); the login's target_link_uri by default. */
  targetLinkUri?: string
  /** Leave out the NRPS / AGS claims. */
  withoutServices?: boolean
  /** Deep linking: the opaque `data` the tool must echo. */
  deepLinkData?: string
  tamper?: Tamper
  /** Claims set last (a value of `undefined` removes the claim). */
  claims?: Record<string, unknown>
}

export interface RosterMember {
  user_id: string
  name: string
  given_name?: string
  family_name?: string
  email?: string
  status?: 'Active' | 'Inactive' | 'Deleted'
  roles: string[]
}

/** A roster of `size` learners with Kazakh and Russian names, plus one instructor. */
export function makeRoster(size: number, prefix = 'lms-student-'): RosterMember[] {
  const given = ['Әлібек', 'Айгерім', 'Нұрлан', 'Дина', 'Ерлан', 'Мария', 'Иван', 'Жанар', 'Тимур', 'Әсел']
  const family = ['Қанатұлы', 'Серікқызы', 'Ахметов', 'Иванова', 'Омаров']
  const members: RosterMember[] = []
  for (let i = 1; i <= size; i++) {
    const g = given[i % given.length]
    const f = family[i % family.length]
    members.push({
      user_id: `${prefix}${i}`,
      name: `${g} ${f} ${i}`,
      given_name: g,
      family_name: `${f} ${i}`,
      email: `student${i}@uni.example`,
      status: 'Active',
      roles: [LTI_ROLES.learner],
    })
  }
  members.push({
    user_id: 'lms-teacher-1',
    name: 'Гүлнар Преподаватель',
    email: 'teacher@uni.example',
    status: 'Active',
    roles: [LTI_ROLES.instructor],
  })
  return members
}

interface PendingLogin {
  options: LaunchOptions
  targetLinkUri: string
}

async function readBody(request: IncomingMessage) {
  const parts: Buffer[] = []
  for await (const part of request) parts.push(part as Buffer)
  return Buffer.concat(parts).toString('utf8')
}

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

export class LtiPlatform {
  readonly issuer: string
  readonly clientId = `client-${randomBytes(4).toString('hex')}`
  readonly deploymentId = '1'
  readonly registrationToken = `regtoken-${randomBytes(8).toString('hex')}`
  readonly kid = 'platform-1'

  /** The tool's origin (APP_URL); its key set at `${toolUrl}/lti/jwks`. */
  toolUrl: string
  /** redirect_uri values the platform accepts (the tool's launch URL by default). */
  redirectUris: string[]
  roster: RosterMember[]
  pageSize = 10

  authRequests: Record<string, string>[] = []
  authErrors: string[] = []
  issuedIdTokens: string[] = []
  tokenRequests: { ok: boolean; error?: string; header?: Record<string, unknown>; assertion?: JWTPayload; scope: string }[] = []
  rosterRequests = 0
  scores: { lineitem: string; body: any; scope: string[]; contentType: string }[] = []
  deepLinkResponses: { ok: boolean; error?: string; payload?: JWTPayload; header?: Record<string, unknown> }[] = []
  registrations: { body: any; authorization: string }[] = []
  /** Answers of the AGS scores endpoint that fail on purpose (status codes, used first to last). */
  failNextScores: number[] = []

  private pending = new Map<string, PendingLogin>()
  private tokens = new Map<string, { scope: string[]; expiresAt: number }>()
  private usedJtis = new Set<string>()
  private toolKeys?: ReturnType<typeof createRemoteJWKSet>

  private constructor(
    private server: Server,
    readonly port: number,
    private privateKey: CryptoKey,
    private publicJwk: JWK,
    options: { toolUrl: string; rosterSize?: number; host?: string }
  ) {
    this.issuer = `http://${options.host ?? 'localhost'}:${port}`
    this.toolUrl = options.toolUrl.replace(/\/+$/, '')
    this.redirectUris = [`${this.toolUrl}/lti/launch`]
    this.roster = makeRoster(options.rosterSize ?? 30)
  }

  /** `host`: 'localhost' by default, another origin than the tool's 127.0.0.1. */
  static async start(options: { toolUrl: string; rosterSize?: number; host?: string }) {
    const port = await freePort()
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
    const publicJwk = { ...(await exportJWK(publicKey)), kid: 'platform-1', alg: 'RS256', use: 'sig' }
    const server = createServer()
    const platform = new LtiPlatform(server, port, privateKey, publicJwk, options)
    server.on('request', (request, response) => {
      platform.handle(request, response).catch((error) => {
        response.statusCode = 500
        response.end(String(error?.stack ?? error))
      })
    })
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    return platform
  }

  get authUrl() {
    return `${this.issuer}/auth`
  }
  get tokenUrl() {
    return `${this.issuer}/token`
  }
  get jwksUrl() {
    return `${this.issuer}/jwks`
  }
  get openidConfigurationUrl() {
    return `${this.issuer}/.well-known/openid-configuration`
  }
  get deepLinkReturnUrl() {
    return `${this.issuer}/deep_link_return`
  }
  membershipsUrl(contextId: string) {
    return `${this.issuer}/nrps/${encodeURIComponent(contextId)}/members`
  }
  lineitemsUrl(contextId: string) {
    return `${this.issuer}/ags/${encodeURIComponent(contextId)}/lineitems`
  }
  lineitemUrl(contextId: string) {
    return `${this.lineitemsUrl(contextId)}/1/lineitem`
  }

  /** The fields an admin types into the tool's manual registration form. */
  get registrationFields() {
    return {
      name: 'Moodle (test)',
      issuer: this.issuer,
      clientId: this.clientId,
      deploymentIds: this.deploymentId,
      authLoginUrl: this.authUrl,
      tokenUrl: this.tokenUrl,
      jwksUrl: this.jwksUrl,
    }
  }

  /** What Moodle opens when the admin pastes the tool's registration URL. */
  dynamicRegistrationUrl(toolRegisterUrl: string) {
    const url = new URL(toolRegisterUrl)
    url.searchParams.set('openid_configuration', this.openidConfigurationUrl)
    url.searchParams.set('registration_token', this.registrationToken)
    return url.toString()
  }

  /**
   * Starts a launch as Moodle does: third-party login initiation. `url` is the GET form, `action` +
   * `params` the POST form Moodle sends. The launch options are kept under the fresh login_hint.
   */
  initiateLogin(toolLoginUrl: string, options: LaunchOptions = {}, targetLinkUri = this.redirectUris[0]) {
    const loginHint = `hint-${randomUUID()}`
    this.pending.set(loginHint, { options, targetLinkUri })
    const params = new URLSearchParams({
      iss: this.issuer,
      target_link_uri: targetLinkUri,
      login_hint: loginHint,
      lti_message_hint: JSON.stringify({ cmid: 7, launchid: loginHint }),
      client_id: this.clientId,
      lti_deployment_id: this.deploymentId,
    })
    const url = new URL(toolLoginUrl)
    for (const [k, v] of params) url.searchParams.set(k, v)
    return { url: url.toString(), action: toolLoginUrl, params, loginHint }
  }

  /**
   * The platform's answer to an authorisation request URL (what `/auth` would POST back), without
   * HTTP: `{ redirectUri, idToken, state }`. Throws with the reason when the request is refused.
   */
  async authorize(authRequestUrl: string) {
    const query = Object.fromEntries(new URL(authRequestUrl).searchParams)
    this.authRequests.push(query)
    const problem = this.checkAuthRequest(query)
    if (problem) {
      this.authErrors.push(problem)
      throw new Error(`the platform refused the auth request: ${problem}`)
    }
    const pending = this.pending.get(query.login_hint)!
    const idToken = await this.idToken(pending.options, { nonce: query.nonce, targetLinkUri: pending.targetLinkUri })
    return { redirectUri: query.redirect_uri, idToken, state: query.state }
  }

  private checkAuthRequest(q: Record<string, string>) {
    if (q.response_type !== 'id_token') return 'response_type'
    if (!(q.scope ?? '').split(' ').includes('openid')) return 'scope'
    if (q.response_mode !== 'form_post') return 'response_mode'
    if (q.client_id !== this.clientId) return 'client_id'
    if (!this.redirectUris.includes(q.redirect_uri)) return 'redirect_uri'
    if (!q.nonce) return 'nonce'
    if (!q.state) return 'state'
    if (!this.pending.has(q.login_hint)) return 'login_hint'
    if (q.lti_message_hint === undefined) return 'lti_message_hint'
    return null
  }

  /** A signed id_token as the platform would send it (nonce: the tool's, or a fresh one). */
  async idToken(options: LaunchOptions = {}, extra: { nonce?: string; targetLinkUri?: string } = {}) {
    const now = Math.floor(Date.now() / 1000)
    const user = {
      id: 'lms-user-1',
      name: 'Әлібек Қанатұлы',
      givenName: 'Әлібек',
      familyName: 'Қанатұлы',
      email: 'alibek@uni.example',
      ...options.user,
    }
    const context = { id: 'course-101', label: 'ANAT-101', title: 'Анатомия 101', ...options.context }
    const resourceLink = { id: 'resource-link-1', title: 'Экзамен: Анатомия', ...options.resourceLink }
    const messageType = options.messageType ?? 'LtiResourceLinkRequest'
    const claims: Record<string, unknown> = {
      nonce: extra.nonce ?? randomUUID(),
      azp: this.clientId,
      name: user.name,
      given_name: user.givenName,
      family_name: user.familyName,
      email: user.email,
      locale: options.locale ?? 'ru',
      [`${LTI}/message_type`]: messageType,
      [`${LTI}/version`]: '1.3.0',
      [`${LTI}/deployment_id`]: options.tamper === 'deployment' ? 'unknown-deployment' : this.deploymentId,
      [`${LTI}/target_link_uri`]: options.targetLinkUri ?? extra.targetLinkUri ?? this.redirectUris[0],
      [`${LTI}/roles`]: options.roles ?? [LTI_ROLES.learner],
      [`${LTI}/context`]: { ...context, type: ['CourseSection'] },
      [`${LTI}/tool_platform`]: { guid: 'moodle.test', name: 'Test Moodle', product_family_code: 'moodle', version: '5.0' },
      [`${LTI}/launch_presentation`]: { locale: options.locale ?? 'ru', document_target: 'window', return_url: `${this.issuer}/course/view.php` },
      [`${LTI}/custom`]: options.custom ?? {},
      [`${LTI}/lis`]: { person_sourcedid: '', course_section_sourcedid: '' },
    }
    if (messageType === 'LtiResourceLinkRequest') claims[`${LTI}/resource_link`] = resourceLink
    if (messageType === 'LtiDeepLinkingRequest') {
      claims['https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings'] = {
        deep_link_return_url: this.deepLinkReturnUrl,
        accept_types: ['ltiResourceLink'],
        accept_presentation_document_targets: ['frame', 'iframe', 'window'],
        accept_multiple: false,
        auto_create: false,
        title: 'Add a proctored exam',
        data: options.deepLinkData ?? `dl-data-${randomBytes(4).toString('hex')}`,
      }
    }
    if (!options.withoutServices) {
      claims['https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice'] = {
        context_memberships_url: this.membershipsUrl(context.id),
        service_versions: ['1.0', '2.0'],
      }
      claims['https://purl.imsglobal.org/spec/lti-ags/claim/endpoint'] = {
        scope: [SCOPES.lineitem, SCOPES.lineitemRead, SCOPES.resultRead, SCOPES.score],
        lineitems: this.lineitemsUrl(context.id),
        ...(messageType === 'LtiResourceLinkRequest' ? { lineitem: this.lineitemUrl(context.id) } : {}),
      }
    }
    for (const [k, v] of Object.entries(options.claims ?? {})) {
      if (v === undefined) delete claims[k]
      else claims[k] = v
    }
    const expired = options.tamper === 'expired'
    const token = await new SignJWT(claims as JWTPayload)
      .setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'JWT' })
      .setIssuer(options.tamper === 'issuer' ? 'https://other-platform.example' : this.issuer)
      .setAudience(options.tamper === 'audience' ? 'someone-else' : this.clientId)
      .setSubject(user.id)
      .setIssuedAt(expired ? now - 3600 : now)
      .setExpirationTime(expired ? now - 1800 : now + 300)
      .sign(this.privateKey)
    const signed = options.tamper === 'signature' ? tamperSignature(token) : token
    this.issuedIdTokens.push(signed)
    return signed
  }

  /** A key set the tool's key set is read from (cached by jose, refetched on an unknown kid). */
  private toolKeySet() {
    this.toolKeys ??= createRemoteJWKSet(new URL(`${this.toolUrl}/lti/jwks`), { cooldownDuration: 0 })
    return this.toolKeys
  }

  /** Verifies a JWT the tool signed against the tool's published key set. */
  async verifyToolJwt(token: string, expect: { issuer?: string; audience?: string; subject?: string }) {
    return jwtVerify(token, this.toolKeySet(), { ...expect, algorithms: ['RS256'] })
  }

  stop() {
    this.server.closeAllConnections()
    return new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', this.issuer)
    const path = url.pathname
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers })
      response.end(JSON.stringify(body))
    }
    const html = (status: number, body: string) => {
      response.writeHead(status, { 'content-type': 'text/html; charset=utf-8' })
      response.end(`<!doctype html><html><head><meta charset="utf-8"><title>Test Moodle</title></head><body>${body}</body></html>`)
    }

    if (request.method === 'GET' && path === '/jwks') return json(200, { keys: [this.publicJwk] })

    if (request.method === 'GET' && path === '/auth') {
      try {
        const { redirectUri, idToken, state } = await this.authorize(url.toString())
        return html(
          200,
          `<form id="lti" method="post" action="${escapeHtml(redirectUri)}">
<input type="hidden" name="id_token" value="${escapeHtml(idToken)}">
<input type="hidden" name="state" value="${escapeHtml(state)}">
<noscript><button type="submit">Continue</button></noscript></form>
<script>document.getElementById('lti').submit()</script>`
        )
      } catch (error) {
        return html(400, `<p id="error">${escapeHtml(String((error as Error).message))}</p>`)
      }
    }

    if (request.method === 'POST' && path === '/token') return this.tokenEndpoint(request, response, json)

    const nrps = /^\/nrps\/([^/]+)\/members$/.exec(path)
    if (request.method === 'GET' && nrps) {
      const grant = this.grant(request, SCOPES.members)
      if (!grant) return json(401, { error: 'invalid_token' })
      this.rosterRequests++
      const contextId = decodeURIComponent(nrps[1])
      const offset = Number(url.searchParams.get('offset') ?? 0)
      const page = this.roster.slice(offset, offset + this.pageSize)
      const headers: Record<string, string> = { 'content-type': 'application/vnd.ims.lti-nrps.v2.membershipcontainer+json' }
      if (offset + this.pageSize < this.roster.length) {
        headers.link = `<${this.membershipsUrl(contextId)}?offset=${offset + this.pageSize}>; rel="next"`
      }
      return json(
        200,
        { id: url.toString(), context: { id: contextId, label: 'ANAT-101', title: 'Анатомия 101' }, members: page },
        headers
      )
    }

    const ags = /^\/ags\/([^/]+)\/lineitems(\/1\/lineitem(\/scores)?)?$/.exec(path)
    if (ags) {
      const contextId = decodeURIComponent(ags[1])
      const lineitem = { id: this.lineitemUrl(contextId), label: 'Экзамен: Анатомия', scoreMaximum: 100, resourceLinkId: 'resource-link-1' }
      if (request.method === 'GET' && !ags[2]) {
        if (!this.grant(request, SCOPES.lineitemRead) && !this.grant(request, SCOPES.lineitem)) return json(401, { error: 'invalid_token' })
        return json(200, [lineitem], { 'content-type': 'application/vnd.ims.lis.v2.lineitemcontainer+json' })
      }
      if (request.method === 'GET' && ags[2] && !ags[3]) {
        if (!this.grant(request, SCOPES.lineitemRead) && !this.grant(request, SCOPES.lineitem)) return json(401, { error: 'invalid_token' })
        return json(200, lineitem, { 'content-type': 'application/vnd.ims.lis.v2.lineitem+json' })
      }
      if (request.method === 'POST' && ags[3]) {
        const grant = this.grant(request, SCOPES.score)
        if (!grant) return json(401, { error: 'invalid_token' })
        const failure = this.failNextScores.shift()
        if (failure) return json(failure, { error: 'failing on purpose' })
        const body = JSON.parse(await readBody(request))
        this.scores.push({
          lineitem: this.lineitemUrl(contextId),
          body,
          scope: grant.scope,
          contentType: String(request.headers['content-type'] ?? ''),
        })
        response.writeHead(204)
        return response.end()
      }
    }

    if (request.method === 'POST' && path === '/deep_link_return') {
      const form = new URLSearchParams(await readBody(request))
      const jwt = form.get('JWT') ?? ''
      try {
        const { payload, protectedHeader } = await this.verifyToolJwt(jwt, { issuer: this.clientId, audience: this.issuer })
        if (payload['https://purl.imsglobal.org/spec/lti/claim/message_type'] !== 'LtiDeepLinkingResponse') throw new Error('message_type')
        if (payload[`${LTI}/deployment_id`] !== this.deploymentId) throw new Error('deployment_id')
        this.deepLinkResponses.push({ ok: true, payload, header: protectedHeader as Record<string, unknown> })
        const items = (payload['https://purl.imsglobal.org/spec/lti-dl/claim/content_items'] as any[]) ?? []
        return html(200, `<h1 id="selected">Content selected</h1><p id="item-title">${escapeHtml(String(items[0]?.title ?? ''))}</p>`)
      } catch (error) {
        this.deepLinkResponses.push({ ok: false, error: String((error as Error).message) })
        return html(400, `<p id="error">${escapeHtml(String((error as Error).message))}</p>`)
      }
    }

    if (request.method === 'GET' && path === '/.well-known/openid-configuration') {
      return json(200, this.openidConfiguration())
    }

    if (request.method === 'POST' && path === '/register') {
      const authorization = String(request.headers.authorization ?? '')
      if (authorization !== `Bearer ${this.registrationToken}`) return json(401, { error: 'invalid_token' })
      const body = JSON.parse(await readBody(request))
      this.registrations.push({ body, authorization })
      const toolConfig = body['https://purl.imsglobal.org/spec/lti-tool-configuration'] ?? {}
      return json(200, {
        ...body,
        client_id: this.clientId,
        registration_client_uri: `${this.issuer}/register/${this.clientId}`,
        'https://purl.imsglobal.org/spec/lti-tool-configuration': { ...toolConfig, deployment_id: this.deploymentId },
      })
    }

    if (request.method === 'GET' && path === '/admin/register') {
      const tool = url.searchParams.get('tool') ?? ''
      /* frame=1: as Moodle's "Add LTI Advantage" does, the tool's URL in an iframe of this page. */
      const framed = url.searchParams.get('frame') === '1'
      return html(
        200,
        `<h1>Register a tool</h1><p id="status">waiting</p>
${framed ? `<iframe id="tool" title="tool" width="900" height="500" src="${escapeHtml(this.dynamicRegistrationUrl(tool))}"></iframe>` : ''}
<button id="open" type="button">Open the tool</button>
<script>
window.addEventListener('message', (event) => {
  if (event.data && event.data.subject === 'org.imsglobal.lti.close') document.getElementById('status').textContent = 'closed'
})
document.getElementById('open').addEventListener('click', () => window.open(${JSON.stringify(this.dynamicRegistrationUrl(tool))}, 'lti-registration'))
</script>`
      )
    }

    response.writeHead(404, { 'content-type': 'text/plain' })
    response.end('not found')
  }

  /** The openid configuration of Moodle 5.0's dynamic registration, trimmed to what a tool reads. */
  openidConfiguration() {
    return {
      issuer: this.issuer,
      token_endpoint: this.tokenUrl,
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256'],
      jwks_uri: this.jwksUrl,
      authorization_endpoint: this.authUrl,
      registration_endpoint: `${this.issuer}/register`,
      scopes_supported: ['openid', SCOPES.members, SCOPES.lineitem, SCOPES.lineitemRead, SCOPES.resultRead, SCOPES.score],
      response_types_supported: ['id_token'],
      subject_types_supported: ['public', 'pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      claims_supported: ['sub', 'iss', 'name', 'given_name', 'family_name', 'email'],
      'https://purl.imsglobal.org/spec/lti-platform-configuration': {
        product_family_code: 'moodle',
        version: '5.0',
        messages_supported: [{ type: 'LtiResourceLinkRequest' }, { type: 'LtiDeepLinkingRequest' }],
        variables: ['basic-lti-launch-request', 'ContentItemSelectionRequest', 'Context.id'],
      },
    }
  }

  private async tokenEndpoint(
    request: IncomingMessage,
    _response: ServerResponse,
    json: (status: number, body: unknown) => void
  ) {
    const form = new URLSearchParams(await readBody(request))
    const scope = form.get('scope') ?? ''
    const refuse = (error: string) => {
      this.tokenRequests.push({ ok: false, error, scope })
      return json(400, { error: 'invalid_client', error_description: error })
    }
    if (form.get('grant_type') !== 'client_credentials') return refuse('grant_type')
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return refuse('client_assertion_type')
    const assertion = form.get('client_assertion') ?? ''
    try {
      const { payload, protectedHeader } = await this.verifyToolJwt(assertion, {
        issuer: this.clientId,
        subject: this.clientId,
        audience: this.tokenUrl,
      })
      if (!payload.jti || this.usedJtis.has(payload.jti)) return refuse('jti')
      if (!payload.exp) return refuse('exp')
      this.usedJtis.add(payload.jti)
      const token = `access-${randomBytes(12).toString('hex')}`
      const scopes = scope.split(' ').filter(Boolean)
      this.tokens.set(token, { scope: scopes, expiresAt: Date.now() + 3600_000 })
      this.tokenRequests.push({ ok: true, header: protectedHeader as Record<string, unknown>, assertion: payload, scope })
      return json(200, { access_token: token, token_type: 'Bearer', expires_in: 3600, scope: scopes.join(' ') })
    } catch (error) {
      return refuse(`assertion: ${(error as Error).message}`)
    }
  }

  /** The grant behind the request's bearer token when it holds `scope`. */
  private grant(request: IncomingMessage, scope: string) {
    const token = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1]
    const grant = token ? this.tokens.get(token) : undefined
    if (!grant || grant.expiresAt < Date.now() || !grant.scope.includes(scope)) return null
    return grant
  }
}

/** The same token with one byte of its signature changed. */
export function tamperSignature(token: string) {
  const [header, payload, signature] = token.split('.')
  const bytes = Buffer.from(signature, 'base64url')
  bytes[bytes.length >> 1] ^= 0xff
  return `${header}.${payload}.${bytes.toString('base64url')}`
}

/** The claims of a JWT, unverified (for reading what a test produced). */
export const peekClaims = (token: string) => decodeJwt(token)
