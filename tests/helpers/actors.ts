import { request as httpRequest } from 'node:http'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { DateTime } from 'luxon'
import Attempt from '#models/attempt'
import Recording from '#models/recording'
import ProctoringSession from '#models/proctoring_session'
import System from '#models/system'
import { phoneToken } from '#services/signing'
import { sqlTime } from '#services/sql_time'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { WebClient, openStudentLink, studentApi } from '#tests/helpers/http'
import { issueLinks } from '#actions/links/issue_links'
import { SYSTEM_ACTOR } from '#actions/audit/record_action'
import { regenerateSecret } from '#actions/systems/secrets'

/*
| The people who probe the appliance in the bad-input corpus and the role matrix, each with
| real credentials: staff logged in through the login form, students holding the token their
| signed link gave them, the phone holding the token of its QR code, and the requests they
| send, described as data and sent byte for byte.
*/

export const ACTORS = ['anonymous', 'student', 'otherStudent', 'phone', 'proctor', 'auditor', 'admin'] as const
export type ActorName = (typeof ACTORS)[number] | 'finishedStudent'

const CHUNK_HEADS = JSON.parse(readFileSync('tests/fixtures/chunk_heads.json', 'utf8')).real as { seq: number; head: string }[]

/** Real first bytes of a webcam chunk (MediaRecorder in Chromium: the first chunk of a stream, or a later one), then filler. */
export function webmChunk(size = 4000, first = true) {
  const head = Buffer.from(CHUNK_HEADS.find((chunk) => (first ? chunk.seq === 0 : chunk.seq > 0))!.head, 'hex')
  return Buffer.concat([head, randomBytes(Math.max(0, size - head.length))])
}

function csrfIn(page: string) {
  const token = /name='_csrf' value='([^']+)'/.exec(page)?.[1]
  if (!token) throw new Error('the page has no CSRF field')
  return token
}

export type World = Awaited<ReturnType<typeof buildWorld>>

/**
 * One of each: a student with a started attempt and a recorded chunk, another session's
 * student, the first student's phone, a student whose session finished yesterday, a visitor
 * who opened the login page, and a logged-in proctor, auditor and admin (each with the CSRF
 * token their pages carry).
 */
export async function buildWorld(baseUrl: string) {
  const first = await examWithCandidate({ requiresPhone: true })
  const student = await openStudentLink(baseUrl, first.link)
  const api = studentApi(baseUrl, student)
  if ((await api.startAttempt()).status !== 201) throw new Error('the attempt did not start')
  const upload = await api.uploadChunk('webcam', 0, webmChunk())
  if (upload.status !== 201) throw new Error(`the chunk was refused: ${upload.status} ${await upload.text()}`)
  const session = await ProctoringSession.findByOrFail('publicId', student.sessionId)
  const recording = await Recording.query().where({ sessionId: session.id, stream: 'webcam' }).firstOrFail()

  const other = await openStudentLink(baseUrl, (await examWithCandidate()).link)
  const finishedFixture = await examWithCandidate()
  const finished = await openStudentLink(baseUrl, finishedFixture.link)
  const finishedApi = studentApi(baseUrl, finished)
  await finishedApi.startAttempt()
  if ((await finishedApi.finish(1, {})).status !== 200) throw new Error('the session did not finish')
  /* Finished yesterday: past any grace for late writes. */
  const finishedSession = await ProctoringSession.findByOrFail('publicId', finished.sessionId)
  const yesterday = DateTime.now().minus({ days: 1 })
  finishedSession.merge({ endedAt: yesterday, startedAt: yesterday.minus({ hours: 1 }) })
  await finishedSession.save()
  await Attempt.query().where('sessionId', finishedSession.id).update({ endedAt: sqlTime(yesterday) })

  const staff: Record<'proctor' | 'auditor' | 'admin', { client: WebClient; csrf: string }> = {} as any
  for (const role of ['proctor', 'auditor', 'admin'] as const) {
    const { user, password } = await staffUser(role)
    const client = new WebClient(baseUrl)
    const login = await client.login(user.email, password)
    if (login.status !== 302 || login.headers.get('location') !== '/staff/results') throw new Error(`${role} could not log in`)
    staff[role] = { client, csrf: csrfIn(await (await client.request('/staff/results')).text()) }
  }
  const visitor = new WebClient(baseUrl)
  const visitorCsrf = csrfIn(await (await visitor.request('/login')).text())
  /* An active account nobody is logged in as, for a login that must succeed. */
  const spare = await staffUser('proctor')
  /* An issued (stored) link for the finished session's exam and candidate: revoke it, grant a retake through it. */
  /* A signed-link system (README "Other systems"), for its secrets' route. */
  const portal = await System.create({ name: `Portal ${randomBytes(4).toString('hex')}`, kind: 'link', active: true })
  await regenerateSecret(SYSTEM_ACTOR, portal, 'link')
  const [issued] = await issueLinks({ examIds: [finishedFixture.exam.id], candidateIds: [finishedFixture.candidate.id], hours: 2 }, SYSTEM_ACTOR)

  const tokens: Record<string, string> = {
    student: student.token,
    otherStudent: other.token,
    phone: phoneToken(student.sessionId),
    finishedStudent: finished.token,
  }

  /** What a path, header or body of a request may name: {sessionId}, {recordingId}, ... */
  const vars: Record<string, string> = {
    sessionId: student.sessionId,
    otherSessionId: other.sessionId,
    finishedSessionId: finished.sessionId,
    token: student.token,
    otherToken: other.token,
    phoneToken: tokens.phone,
    link: first.link.slice('/s/'.length),
    examId: String(first.exam.id),
    candidateId: String(first.candidate.id),
    groupId: String(first.candidate.groupId),
    recordingId: String(recording.id),
    attempt: '1',
    spareEmail: spare.user.email,
    sparePassword: spare.password,
    linkId: String(issued.link.id),
    spareUserId: String(spare.user.id),
    systemId: String(portal.id),
  }

  /** The headers an actor's requests carry (cookie, bearer token, CSRF token when asked). */
  function headersFor(actor: ActorName, options: { csrf?: boolean } = {}): Record<string, string> {
    if (actor in tokens) return { authorization: `Bearer ${tokens[actor]}` }
    if (actor === 'anonymous') {
      return options.csrf ? { 'cookie': visitor.cookieHeader, 'x-csrf-token': visitorCsrf } : {}
    }
    const { client, csrf } = staff[actor as keyof typeof staff]
    return { 'cookie': client.cookieHeader, ...(options.csrf ? { 'x-csrf-token': csrf } : {}) }
  }

  return { baseUrl, vars, headersFor, session, recording }
}

export function fillTemplate(text: string, vars: Record<string, string>) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => vars[name] ?? whole)
}

type Repeat = { $repeat: string; times: number }
type Part = string | Repeat

/** A request described as data (see tests/fixtures/bad_input/README.md). */
export type RequestSpec = {
  method: string
  path: string
  headers?: Record<string, string>
  /** Send the actor's CSRF token (staff, and a visitor who opened the login page). */
  csrf?: boolean
  json?: unknown
  text?: string | Part[]
  base64?: string
  /** That many zero bytes (a huge binary body without a huge file). */
  zeros?: number
  /** A field's value: text, `{ "$repeat" }`, a list of such parts joined, or `{ "values": [...] }` to send the field several times. */
  form?: Record<string, Part | Part[] | { values: string[] }>
  /** No Content-Length: the body streams. */
  chunked?: boolean
}

const isRepeat = (value: unknown): value is Repeat =>
  typeof value === 'object' && value !== null && '$repeat' in value && 'times' in value

/** Expands `{ "$repeat": "x", "times": n }` (huge values without huge files) and `{name}` templates. */
function expand(value: unknown, vars: Record<string, string>): unknown {
  if (isRepeat(value)) return value.$repeat.repeat(value.times)
  if (typeof value === 'string') return fillTemplate(value, vars)
  if (Array.isArray(value)) return value.map((item) => expand(item, vars))
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, expand(item, vars)]))
  }
  return value
}

function bodyOf(spec: RequestSpec, vars: Record<string, string>): { body?: Buffer; type?: string } {
  if (spec.json !== undefined) return { body: Buffer.from(JSON.stringify(expand(spec.json, vars))), type: 'application/json' }
  if (spec.text !== undefined) {
    const parts = Array.isArray(spec.text) ? spec.text : [spec.text]
    return { body: Buffer.from(parts.map((part) => expand(part, vars) as string).join('')) }
  }
  if (spec.base64 !== undefined) return { body: Buffer.from(spec.base64, 'base64') }
  if (spec.zeros !== undefined) return { body: Buffer.alloc(spec.zeros) }
  if (spec.form !== undefined) {
    const fields = new URLSearchParams()
    for (const [key, value] of Object.entries(spec.form)) {
      if (typeof value === 'object' && !Array.isArray(value) && 'values' in value) {
        for (const one of value.values) fields.append(key, fillTemplate(one, vars))
      } else {
        const parts = Array.isArray(value) ? value : [value]
        fields.append(key, parts.map((part) => expand(part, vars) as string).join(''))
      }
    }
    return { body: Buffer.from(fields.toString()), type: 'application/x-www-form-urlencoded' }
  }
  return {}
}

/** Sends a described request as one actor, with the world's names filled in. */
export function sendAs(world: World, actor: ActorName, spec: RequestSpec, vars: Record<string, string> = {}) {
  const names = { ...world.vars, ...vars }
  const { body, type } = bodyOf(spec, names)
  const headers: Record<string, string> = {
    ...(type ? { 'content-type': type } : {}),
    ...world.headersFor(actor, { csrf: spec.csrf }),
  }
  for (const [name, value] of Object.entries(spec.headers ?? {})) headers[name.toLowerCase()] = fillTemplate(value, names)
  return rawRequest(world.baseUrl, { method: spec.method, path: fillTemplate(spec.path, names), headers, body, chunked: spec.chunked })
}

export type RawResponse = { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** An answer that streams on (server-sent events) is read for this long, then let go. */
const STREAM_READ_MS = 1500

/**
 * One request exactly as given: node:http sends the path byte for byte (fetch would resolve
 * `..` and `%2e%2e` before sending), and the body with or without a Content-Length.
 */
export function rawRequest(
  baseUrl: string,
  options: { method: string; path: string; headers?: Record<string, string>; body?: Buffer; chunked?: boolean }
): Promise<RawResponse> {
  const url = new URL(baseUrl)
  const headers: Record<string, string> = { 'accept-language': 'en', ...options.headers }
  if (options.body && !options.chunked) headers['content-length'] = String(options.body.length)
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      /* A connection of its own: after an early answer (413) the old one may still hold unread body. */
      { host: url.hostname, port: url.port, method: options.method, path: options.path, headers, agent: false },
      (response) => {
        const parts: Buffer[] = []
        const done = () => {
          clearTimeout(timer)
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(parts).toString('utf8') })
        }
        const timer = setTimeout(() => {
          done()
          request.destroy()
        }, STREAM_READ_MS)
        response.on('data', (data: Buffer) => parts.push(data))
        response.on('end', done)
        response.on('error', () => done())
      }
    )
    /* The server may answer (413, 415) before it has read a large body: that is not a failure. */
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error)
    })
    if (options.body) request.write(options.body)
    request.end()
  })
}

/** The error code an answer carries: `error.code` in JSON, `data-error-code` on an error page. */
export function errorCodeOf(response: RawResponse) {
  try {
    return JSON.parse(response.body)?.error?.code as string | undefined
  } catch {
    return /data-error-code="([A-Z_]+)"/.exec(response.body)?.[1]
  }
}
