import { createHash } from 'node:crypto'
import { studentConfigFrom } from './fixtures.js'

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')

/** Cookies a response set, as one Cookie header (merged into those already held). */
function mergeCookies(jar: Map<string, string>, response: Response) {
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';')
    const at = pair.indexOf('=')
    jar.set(pair.slice(0, at), pair.slice(at + 1))
  }
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
}

/** A browser-like client: keeps cookies, follows nothing on its own. */
export class WebClient {
  private jar = new Map<string, string>()
  constructor(readonly baseUrl: string, private language = 'en') {}

  /** The Cookie header this client sends now (to replay it from elsewhere). */
  get cookieHeader() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  async request(path: string, init: RequestInit = {}) {
    const headers = new Headers(init.headers)
    if (this.jar.size) headers.set('cookie', [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '))
    if (!headers.has('accept-language')) headers.set('accept-language', this.language)
    const response = await fetch(`${this.baseUrl}${path}`, { ...init, headers, redirect: 'manual' })
    mergeCookies(this.jar, response)
    return response
  }

  /** Signs in through the real login form, CSRF token included. */
  async login(email: string, password: string) {
    const page = await (await this.request('/login')).text()
    const csrf = /name='_csrf' value='([^']+)'/.exec(page)?.[1]
    if (!csrf) throw new Error('the login page has no CSRF field')
    const response = await this.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, email, password }).toString(),
    })
    return response
  }
}

/** A student who opened their link: the session's id and bearer token. */
export async function openStudentLink(baseUrl: string, link: string) {
  const response = await fetch(`${baseUrl}${link}`)
  if (!response.ok) throw new Error(`the student link answered ${response.status}`)
  return studentConfigFrom(await response.text())
}

export function studentApi(baseUrl: string, student: { sessionId: string; token: string }) {
  const base = `${baseUrl}/api/student/sessions/${student.sessionId}`
  return {
    startAttempt: () =>
      fetch(`${base}/attempts`, { method: 'POST', headers: { authorization: `Bearer ${student.token}` } }),
    finish: (attempt: number, chunks: Record<string, number>) =>
      fetch(`${base}/finish`, {
        method: 'POST',
        headers: { 'authorization': `Bearer ${student.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ attempt, chunks }),
      }),
    uploadChunk: (
      stream: string,
      seq: number,
      body: Buffer,
      options: { attempt?: number; sha?: string; type?: string; token?: string; language?: string } = {}
    ) =>
      fetch(`${base}/recordings/${stream}/chunks/${seq}`, {
        method: 'POST',
        headers: {
          'authorization': `Bearer ${options.token ?? student.token}`,
          'content-type': options.type ?? 'video/webm;codecs=vp8,opus',
          'x-attempt': String(options.attempt ?? 1),
          'x-chunk-sha256': options.sha ?? sha256(body),
          'accept-language': options.language ?? 'en',
        },
        body: new Uint8Array(body),
      }),
  }
}
