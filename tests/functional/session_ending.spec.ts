import { test } from '@japa/runner'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import Recording from '#models/recording'
import ProctoringSession from '#models/proctoring_session'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { WebClient, openStudentLink, studentApi } from '#tests/helpers/http'
import { webmChunk } from '#tests/helpers/chunks'
import { sweepStaffSessions } from '#actions/auth/sweep_sessions'

const baseUrl = () => env.get('APP_URL')
const MINUTE = 60_000

/** An admin command run as on the appliance: its own process, on the same database. */
function ace(...args: string[]) {
  return promisify(execFile)(process.execPath, ['ace.js', ...args], { cwd: app.makePath(), env: process.env })
}

/** A staff member logged in through the real form, on a client of their own. */
async function loggedIn(user: { email: string }, password: string) {
  const client = new WebClient(baseUrl())
  const response = await client.login(user.email, password)
  if (response.headers.get('location') !== '/staff/results') throw new Error('login failed')
  return client
}

/** What a staff page answers to a bare request with this Cookie header. */
async function replay(cookie: string, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${baseUrl()}${path}`, { headers: { cookie, ...headers }, redirect: 'manual' })
  const body = Buffer.from(await response.arrayBuffer())
  return { status: response.status, location: response.headers.get('location'), body }
}

async function logout(client: WebClient) {
  const page = await (await client.request('/staff/results')).text()
  const csrf = /name='_csrf' value='([^']+)'/.exec(page)![1]
  return client.request('/logout', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf }).toString(),
  })
}

/** A recording with one stored chunk (1000 bytes of WebM). */
async function recordingWithAChunk() {
  const student = await openStudentLink(baseUrl(), (await examWithCandidate()).link)
  const api = studentApi(baseUrl(), student)
  await api.startAttempt()
  const chunk = webmChunk(0, 1000)
  const upload = await api.uploadChunk('webcam', 0, chunk)
  if (!upload.ok) throw new Error(`the chunk answered ${upload.status}`)
  const session = await ProctoringSession.findByOrFail('publicId', student.sessionId)
  const recording = await Recording.query().where({ sessionId: session.id, stream: 'webcam' }).firstOrFail()
  return { recording, chunk }
}

/** Moves the user's sessions in time, as if `ago` had passed since their start or last request. */
function age(userId: number, ago: { sinceStart?: number; sinceLastRequest?: number }) {
  const now = Date.now()
  return db
    .from('staff_sessions')
    .where('user_id', userId)
    .update({
      ...(ago.sinceStart !== undefined && { created_at: now - ago.sinceStart }),
      ...(ago.sinceLastRequest !== undefined && { last_seen_at: now - ago.sinceLastRequest }),
    })
}

const opensResults = async (client: WebClient) => (await client.request('/staff/results')).status === 200

test.group('Staff sessions end for real', () => {
  test('a cookie copied before logout is refused after it', async ({ assert }) => {
    const { recording, chunk } = await recordingWithAChunk()
    /* Random bytes from the middle of the recording: in a body only if it was streamed. */
    const streamed = (body: Buffer) => body.includes(chunk.subarray(500, 532))
    const { user, password } = await staffUser('proctor')
    const client = await loggedIn(user, password)
    const elsewhere = await loggedIn(user, password)
    const copied = client.cookieHeader
    const media = `/staff/recordings/${recording.id}/media`

    /* Before logout the copy works like the original: it streams the recording. */
    assert.equal((await replay(copied, '/staff/results')).status, 200)
    const before = await replay(copied, media, { range: 'bytes=0-' })
    assert.equal(before.status, 206)
    assert.isTrue(streamed(before.body))

    assert.equal((await logout(client)).headers.get('location'), '/login')

    const page = await replay(copied, '/staff/results')
    assert.deepEqual([page.status, page.location], [302, '/login'])
    for (const range of ['bytes=0-', 'bytes=1-']) {
      const stream = await replay(copied, media, { range })
      assert.deepEqual([stream.status, stream.location, streamed(stream.body)], [302, '/login', false], range)
    }
    const htmx = await replay(copied, media, { 'hx-request': 'true' })
    assert.equal(htmx.status, 401)
    assert.include(htmx.body.toString(), 'data-error-code="LOGIN_REQUIRED"')
    assert.isFalse(streamed(htmx.body))
    /* Logout ends the user's other sessions too, and the client that logged out is out. */
    assert.isFalse(await opensResults(elsewhere))
    assert.isFalse(await opensResults(client))
  })

  test("a password change ends the user's sessions", async ({ assert }) => {
    const { user, password } = await staffUser('proctor')
    const other = await staffUser('proctor')
    const sessions = [await loggedIn(user, password), await loggedIn(user, password)]
    const bystander = await loggedIn(other.user, other.password)
    const copied = sessions[0].cookieHeader

    await ace('user:create', '--email', user.email, '--role', 'proctor', '--password', 'a brand new passphrase')

    for (const session of sessions) assert.isFalse(await opensResults(session))
    assert.equal((await replay(copied, '/staff/results')).location, '/login')
    assert.isTrue(await opensResults(bystander), "another user's session goes on")
    assert.equal((await new WebClient(baseUrl()).login(user.email, password)).headers.get('location'), '/login')
    assert.isTrue(await opensResults(await loggedIn(user, 'a brand new passphrase')))
  })

  test('deactivating a user ends their sessions at once', async ({ assert }) => {
    const { user, password } = await staffUser('admin')
    const other = await staffUser('admin')
    const sessions = [await loggedIn(user, password), await loggedIn(user, password)]
    const bystander = await loggedIn(other.user, other.password)

    const { stdout } = await ace('user:deactivate', '--email', user.email)
    assert.include(stdout, '2 session(s) ended')

    for (const session of sessions) assert.isFalse(await opensResults(session))
    assert.equal(await db.from('staff_sessions').where('user_id', user.id).count('* as n').first().then((r) => Number(r.n)), 0)
    assert.isTrue(await opensResults(bystander))
    assert.equal((await new WebClient(baseUrl()).login(user.email, password)).headers.get('location'), '/login')
  })

  test('a session idle past the timeout is refused', async ({ assert }) => {
    const { user, password } = await staffUser('auditor')
    const client = await loggedIn(user, password)

    await age(user.id, { sinceLastRequest: 59 * MINUTE })
    assert.isTrue(await opensResults(client), 'idle 59 minutes of 60: still open')
    await age(user.id, { sinceLastRequest: 61 * MINUTE })
    assert.isFalse(await opensResults(client), 'idle 61 minutes: ended')
    assert.equal((await client.request('/staff/results')).headers.get('location'), '/login')
  })

  test('a session past its absolute lifetime is refused', async ({ assert }) => {
    const { user, password } = await staffUser('proctor')
    const client = await loggedIn(user, password)

    /* Busy all along (a request a minute ago), started 11 hours ago: still open. */
    await age(user.id, { sinceStart: 11 * 60 * MINUTE, sinceLastRequest: MINUTE })
    assert.isTrue(await opensResults(client))
    await age(user.id, { sinceStart: 12 * 60 * MINUTE + MINUTE, sinceLastRequest: MINUTE })
    assert.isFalse(await opensResults(client), 'past 12 hours: ended however busy')
  })

  test('sessions past their time are swept from the database', async ({ assert }) => {
    const idle = await staffUser('proctor')
    const old = await staffUser('proctor')
    const live = await staffUser('proctor')
    for (const { user, password } of [idle, old, live]) await loggedIn(user, password)
    await age(idle.user.id, { sinceLastRequest: 61 * MINUTE })
    await age(old.user.id, { sinceStart: 13 * 60 * MINUTE, sinceLastRequest: 0 })

    await sweepStaffSessions()
    const left = await db.from('staff_sessions').whereIn('user_id', [idle.user.id, old.user.id, live.user.id]).select('user_id')
    assert.deepEqual(left.map((row) => row.user_id), [live.user.id])
  })

  test('student pages and API calls leave no staff session behind', async ({ assert }) => {
    const count = async () => Number((await db.from('staff_sessions').count('* as n').first()).n)
    const before = await count()
    await recordingWithAChunk()
    assert.equal(await count(), before)
  })
})
