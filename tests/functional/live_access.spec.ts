import { test } from '@japa/runner'
import { connect, type Socket } from 'node:net'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import { sqlTime } from '#services/sql_time'
import AuditEntry from '#models/audit_entry'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { WebClient, openStudentLink } from '#tests/helpers/http'
import { publish } from '#services/live/live'

/*
| Live video's roles (issue 12): students only produce their own streams, only staff consume,
| and every subscription is archived. The calls go through the real app and a real mediasoup
| worker (the SFU starts with the first event stream).
*/

const baseUrl = () => env.get('APP_URL')

/** Opens a live event stream and returns its first message (the peer id) and a way to close it. */
async function openEvents(path: string, headers: Record<string, string>) {
  const abort = new AbortController()
  const response = await fetch(`${baseUrl()}${path}`, { headers, signal: abort.signal })
  if (!response.ok) {
    const body = await response.text()
    return { status: response.status, body, hello: null, close: () => undefined }
  }
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  let text = ''
  while (!text.includes('\n')) text += (await reader.read()).value ?? ''
  return { status: response.status, body: '', hello: JSON.parse(text.split('\n')[0]), close: () => abort.abort() }
}

async function student() {
  const { exam, link } = await examWithCandidate({ requiresScreen: false })
  const config = await openStudentLink(baseUrl(), link)
  return { exam, config }
}

async function postJson(path: string, headers: Record<string, string>, body: unknown) {
  const response = await fetch(`${baseUrl()}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body), redirect: 'manual' })
  const text = await response.text()
  let code: string | undefined
  try {
    code = JSON.parse(text)?.error?.code
  } catch {}
  return { status: response.status, location: response.headers.get('location'), code }
}

test.group('Live video: who may publish and who may watch (issue 12)', () => {
  test("a student's attempt to consume another student's stream, or a proctor's stream, is refused", async ({ assert }) => {
    const a = await student()
    const b = await student()
    const auth = (token: string) => ({ 'authorization': `Bearer ${token}`, 'accept-language': 'en' })

    /* B's page opens its live stream: a real peer on the SFU. */
    const streamB = await openEvents(`/api/student/sessions/${b.config.sessionId}/live/events`, auth(b.config.token))
    assert.equal(streamB.status, 200, streamB.body)
    assert.equal(streamB.hello.type, 'hello')

    /* A's token opens nothing of B's: not its events, not a transport on its peer. */
    const intoB = await openEvents(`/api/student/sessions/${b.config.sessionId}/live/events`, auth(a.config.token))
    assert.equal(intoB.status, 403)
    assert.include(intoB.body, 'SESSION_TOKEN_INVALID')
    const streamA = await openEvents(`/api/student/sessions/${a.config.sessionId}/live/events`, auth(a.config.token))
    const borrowed = await postJson(`/api/student/sessions/${a.config.sessionId}/live/transport`, auth(a.config.token), { peerId: streamB.hello.peerId })
    assert.deepEqual([borrowed.status, borrowed.code], [403, 'LIVE_FORBIDDEN'])

    /* The consume call is a staff call: a student's token gets the login page, its own peer changes nothing. */
    const consume = await postJson('/staff/live/consume', auth(a.config.token), {
      peerId: streamA.hello.peerId,
      transportId: streamA.hello.peerId,
      session: b.config.sessionId,
      source: 'webcam',
      rtpCapabilities: {},
    })
    assert.equal(consume.status, 302)
    const transport = await postJson('/staff/live/transport', auth(a.config.token), { peerId: streamA.hello.peerId, session: b.config.sessionId })
    assert.equal(transport.status, 302)

    /* A student's peer may not produce what is not its own (the phone camera is the phone page's), nor consume. */
    const sendTransport = await (
      await fetch(`${baseUrl()}/api/student/sessions/${a.config.sessionId}/live/transport`, {
        method: 'POST',
        headers: { ...auth(a.config.token), 'content-type': 'application/json' },
        body: JSON.stringify({ peerId: streamA.hello.peerId }),
      })
    ).json()
    const phone = await postJson(`/api/student/sessions/${a.config.sessionId}/live/produce`, auth(a.config.token), {
      peerId: streamA.hello.peerId,
      transportId: sendTransport.id,
      kind: 'video',
      source: 'phone',
      rtpParameters: { codecs: [], encodings: [] },
    })
    assert.deepEqual([phone.status, phone.code], [403, 'LIVE_FORBIDDEN'])

    /* Proctors publish nothing; a proctor's peer cannot be used by a student, and a proctor cannot use a student's peer. */
    const { user, password } = await staffUser('proctor')
    const proctor = new WebClient(baseUrl())
    await proctor.login(user.email, password)
    const page = await (await proctor.request('/staff/live')).text()
    const csrf = /"x-csrf-token": "([^"]+)"/.exec(page)?.[1]
    assert.isString(csrf)
    const staffStream = await openEvents('/staff/live/events', { cookie: proctor.cookieHeader })
    assert.equal(staffStream.status, 200)
    const viaStudentPeer = await proctor.request('/staff/live/transport', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf!, 'accept': 'application/json' },
      body: JSON.stringify({ peerId: streamA.hello.peerId, session: b.config.sessionId }),
    })
    assert.equal(viaStudentPeer.status, 403)
    const viaProctorPeer = await postJson(`/api/student/sessions/${a.config.sessionId}/live/transport`, auth(a.config.token), { peerId: staffStream.hello.peerId })
    assert.deepEqual([viaProctorPeer.status, viaProctorPeer.code], [403, 'LIVE_FORBIDDEN'])

    /* Nothing was watched, so nothing is archived as watched. */
    const watched = await AuditEntry.query().where('action', 'live.watch').whereIn('subjectId', [a.config.sessionId, b.config.sessionId])
    assert.lengthOf(watched, 0)
    for (const stream of [streamA, streamB, staffStream]) stream.close()
  })

  test('a proctor outside the exam\'s scope cannot add its students to the watch list or open a transport for them', async ({ assert }) => {
    const b = await student()
    const other = await examWithCandidate()
    const { user, password } = await staffUser('proctor')
    await db.table('staff_scopes').insert({ user_id: user.id, exam_id: other.exam.id, created_at: sqlTime() })
    const proctor = new WebClient(baseUrl())
    await proctor.login(user.email, password)
    const page = await (await proctor.request('/staff/live')).text()
    const csrf = /"x-csrf-token": "([^"]+)"/.exec(page)?.[1]!
    const add = await proctor.request('/staff/live/watch', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf, 'accept': 'application/json' },
      body: JSON.stringify({ session: b.config.sessionId }),
    })
    assert.equal(add.status, 404)
    assert.lengthOf(await db.from('live_watch_items').where('user_id', user.id), 0)
    const stream = await openEvents('/staff/live/events', { cookie: proctor.cookieHeader })
    const transport = await proctor.request('/staff/live/transport', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf, 'accept': 'application/json' },
      body: JSON.stringify({ peerId: stream.hello.peerId, session: b.config.sessionId }),
    })
    assert.include([403, 404], transport.status)
    stream.close()
  })
})

/**
 * A live event stream over a plain socket, to read at will (or not at all): its lines so far,
 * whether the server closed it, and the socket (pause it to stop reading).
 */
async function rawEvents(sessionId: string, token: string) {
  const url = new URL(baseUrl())
  const socket: Socket = connect(Number(url.port), url.hostname)
  const state = { text: '', bytes: 0, closed: false, socket }
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  socket.on('data', (data: Buffer) => {
    state.bytes += data.length
    if (state.text.length < 4096) state.text += data.toString('latin1')
  })
  socket.on('error', () => undefined)
  void closed.then(() => (state.closed = true))
  socket.write(
    `GET /api/student/sessions/${sessionId}/live/events HTTP/1.1\r\nHost: ${url.host}\r\n` +
      `Authorization: Bearer ${token}\r\nAccept: application/x-ndjson\r\n\r\n`
  )
  while (!state.text.includes('"type":"hello"') && !state.closed) await new Promise((r) => setTimeout(r, 20))
  return { state, closed }
}

/** Lines of text that arrive on a fetch-read event stream, as they come. */
async function readLines(sessionId: string, token: string) {
  const response = await fetch(`${baseUrl()}/api/student/sessions/${sessionId}/live/events`, { headers: { authorization: `Bearer ${token}` } })
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  const lines: string[] = []
  let rest = ''
  const ended = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }))
      if (done) return
      rest += value
      const parts = rest.split('\n')
      rest = parts.pop()!
      lines.push(...parts.filter(Boolean))
    }
  })()
  while (lines.length === 0) await new Promise((r) => setTimeout(r, 20))
  return { lines, ended, close: () => reader.cancel().catch(() => undefined) }
}

test.group('Live video: event streams a client cannot pile up', () => {
  test('a student page that opens its live stream again and again keeps two at most: the oldest are closed', async ({ assert }) => {
    const { config } = await student()
    const first = await readLines(config.sessionId, config.token)
    const second = await readLines(config.sessionId, config.token)
    const third = await readLines(config.sessionId, config.token)
    /* The third closed the first (its reader ends), and the other two still hear the session. */
    await first.ended
    const session = await db.from('proctoring_sessions').where('public_id', config.sessionId).firstOrFail()
    publish(`session:${session.id}`, { type: 'probe', n: 1 })
    while (!second.lines.some((line) => line.includes('"probe"')) || !third.lines.some((line) => line.includes('"probe"'))) {
      await new Promise((r) => setTimeout(r, 20))
    }
    assert.isFalse(first.lines.some((line) => line.includes('"probe"')))
    await second.close()
    await third.close()
  }).timeout(30_000)

  test('a live stream nobody reads is cut once a megabyte waits for it, and one that is read gets every message', async ({ assert }) => {
    const stalled = await student()
    const reading = await student()
    const still = await rawEvents(stalled.config.sessionId, stalled.config.token)
    still.state.socket.pause()
    const read = await readLines(reading.config.sessionId, reading.config.token)
    const ids = await db.from('proctoring_sessions').whereIn('public_id', [stalled.config.sessionId, reading.config.sessionId]).select('id', 'public_id')
    const idOf = (publicId: string) => ids.find((row) => row.public_id === publicId)!.id

    /* 60 MB in 50 kB messages, the event loop free between them as between real messages:
       more than the kernel's socket buffers hold for the reader that stopped. */
    const filler = 'x'.repeat(50_000)
    const count = 1200
    for (let n = 0; n < count; n++) {
      publish(`session:${idOf(stalled.config.sessionId)}`, { type: 'probe', n, filler })
      publish(`session:${idOf(reading.config.sessionId)}`, { type: 'probe', n, filler })
      await new Promise((r) => setImmediate(r))
    }
    /* The stalled reader reads again: what was already on its way, then the end. */
    still.state.socket.resume()
    await still.closed
    assert.isBelow(still.state.bytes, count * filler.length / 2)
    while (read.lines.filter((line) => line.includes('"probe"')).length < count) await new Promise((r) => setTimeout(r, 20))
    assert.include(read.lines.at(-1)!, `"n":${count - 1}`)
    await read.close()
  }).timeout(60_000)
})
