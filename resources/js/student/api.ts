/** The student API of one session, with its bearer token. */
export type SessionAuth = { sessionId: string; token: string }

export class StudentApi {
  constructor(readonly auth: SessionAuth) {}

  private url(path: string) {
    return `/api/student/sessions/${this.auth.sessionId}${path}`
  }

  post(path: string, body?: unknown) {
    return fetch(this.url(path), {
      method: 'POST',
      headers: { 'Authorization': `Bearer ${this.auth.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body ?? {}),
    })
  }

  postBytes(path: string, body: Blob | Uint8Array, type: string) {
    return fetch(this.url(path), {
      method: 'POST',
      headers: { 'Authorization': `Bearer ${this.auth.token}`, 'Content-Type': type },
      body: body as BodyInit,
    })
  }

  /** JSON of a successful answer, or undefined (offline, server error). */
  async json<T = any>(path: string, body?: unknown): Promise<T | undefined> {
    const response = await this.post(path, body).catch(() => undefined)
    if (!response?.ok) return undefined
    return response.json()
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
