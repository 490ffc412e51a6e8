/** The student API of one session, with its bearer token. */
export type SessionAuth = { sessionId: string; token: string }

/**
 * The answer with its body already read to the end. The API's answers are `no-store`, and
 * Chromium leaves a no-store body it was never asked for in the connection: the request
 * never finishes and its connection is not reused until the page drops the Response.
 */
export async function settled(response: Response) {
  const body = await response.arrayBuffer()
  const empty = response.status === 204 || response.status === 205 || response.status === 304
  return new Response(empty ? null : body, { status: response.status, statusText: response.statusText, headers: response.headers })
}

export class StudentApi {
  constructor(readonly auth: SessionAuth) {}

  private url(path: string) {
    return `/api/student/sessions/${this.auth.sessionId}${path}`
  }

  async post(path: string, body?: unknown) {
    return settled(
      await fetch(this.url(path), {
        method: 'POST',
        headers: { 'Authorization': `Bearer ${this.auth.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      })
    )
  }

  async postBytes(path: string, body: Blob | Uint8Array, type: string) {
    return settled(
      await fetch(this.url(path), {
        method: 'POST',
        headers: { 'Authorization': `Bearer ${this.auth.token}`, 'Content-Type': type },
        body: body as BodyInit,
      })
    )
  }

  /** JSON of a successful answer, or undefined (offline, server error). */
  async json<T = any>(path: string, body?: unknown): Promise<T | undefined> {
    const response = await this.post(path, body).catch(() => undefined)
    if (!response?.ok) return undefined
    return response.json()
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
