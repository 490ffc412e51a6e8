import { request as httpRequest } from 'node:http'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import Recording from '#models/recording'
import ProctoringSession from '#models/proctoring_session'
import { phoneToken } from '#services/signing'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { WebClient, openStudentLink, studentApi } from '#tests/helpers/http'

/*
| The people who probe the appliance in the bad-input corpus and the role matrix, each with
| real credentials: staff logged in through the login form, students holding the token their
| signed link gave them, the phone holding the token of its QR code.
*/

export const ACTORS = ['anonymous', 'student', 'otherStudent', 'phone', 'proctor', 'auditor', 'admin'] as const
export type ActorName = (typeof ACTORS)[number] | 'finishedStudent'

/** The first bytes of a real first webcam chunk (MediaRecorder in Chromium), then filler. */
export function webmChunk(size = 4000) {
  const heads = JSON.parse(readFileSync('tests/fixtures/chunk_heads.json', 'utf8'))
  const head = Buffer.from(heads.real[0].head, 'hex')
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
 * student, the first student's phone, a student who finished, and a logged-in proctor,
 * auditor and admin (each with the CSRF token their pages carry).
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
  const finished = await openStudentLink(baseUrl, (await examWithCandidate()).link)
  const finishedApi = studentApi(baseUrl, finished)
  await finishedApi.startAttempt()
  if ((await finishedApi.finish(1, {})).status !== 200) throw new Error('the session did not finish')

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

  const tokens: Record<string, string> = {
    student: student.token,
    otherStudent: other.token,
    phone: phoneToken(student.sessionId),
    finishedStudent: finished.token,
  }

  /** What a path, header or body of a case may name: {sessionId}, {recordingId}, ... */
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
    recordingId: String(recording.id),
    attempt: '1',
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

  return { baseUrl, vars, headersFor, session, recording, studentApi: api }
}

export function fillTemplate(text: string, vars: Record<string, string>) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => vars[name] ?? whole)
}

export type RawResponse = { status: number; headers: Record<string, string | string[] | undefined>; body: string }

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
        response.on('data', (data: Buffer) => parts.push(data))
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(parts).toString('utf8') })
        )
        response.on('error', reject)
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
