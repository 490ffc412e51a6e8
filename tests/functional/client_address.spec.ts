import { test } from '@japa/runner'
import env from '#start/env'
import AuditEntry from '#models/audit_entry'
import Attempt from '#models/attempt'
import ProctoringSession from '#models/proctoring_session'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { WebClient, openStudentLink } from '#tests/helpers/http'
import { AppServer } from '#tests/helpers/app_server'

/** Logs in through the real form with extra request headers on both requests. */
async function loginWith(baseUrl: string, headers: Record<string, string>) {
  const { user, password } = await staffUser('proctor')
  const client = new WebClient(baseUrl)
  const page = await (await client.request('/login', { headers })).text()
  const csrf = /name='_csrf' value='([^']+)'/.exec(page)![1]
  const answer = await client.request('/login', {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, email: user.email, password }).toString(),
  })
  if (answer.headers.get('location') !== '/staff/results') throw new Error(`login answered ${answer.status}`)
  const entry = await AuditEntry.query().where('action', 'auth.login').where('userId', user.id).orderBy('id', 'desc').firstOrFail()
  return entry.ip
}

/** Opens a student link and starts an attempt with extra headers; the attempt's stored address. */
async function attemptWith(baseUrl: string, headers: Record<string, string>) {
  const student = await openStudentLink(baseUrl, (await examWithCandidate()).link)
  const started = await fetch(`${baseUrl}/api/student/sessions/${student.sessionId}/attempts`, {
    method: 'POST',
    headers: { ...headers, 'authorization': `Bearer ${student.token}`, 'content-type': 'application/json' },
    body: '{}',
  })
  if (!started.ok) throw new Error(`starting an attempt answered ${started.status}`)
  const session = await ProctoringSession.findByOrFail('publicId', student.sessionId)
  return (await Attempt.query().where('sessionId', session.id).firstOrFail()).ip
}

test.group('Client addresses in the archive', () => {
  test('a forged X-Forwarded-For is not written to the archive', async ({ assert }) => {
    /* The test server runs with TRUSTED_PROXIES unset: nobody's forwarding header is believed. */
    const forged = { 'x-forwarded-for': '203.0.113.9' }
    assert.equal(await loginWith(env.get('APP_URL'), forged), '127.0.0.1')
    assert.equal(await attemptWith(env.get('APP_URL'), forged), '127.0.0.1')
  })

  test("a trusted proxy's X-Forwarded-For is written to the archive", async ({ assert, cleanup }) => {
    const app = await AppServer.start({ TRUSTED_PROXIES: '127.0.0.1' })
    cleanup(() => app.stop())
    /*
     * The proxy (here: loopback) saw 203.0.113.9; what that client claimed before it
     * (198.51.100.7) is not believed, because 203.0.113.9 is no trusted proxy.
     */
    const proxied = { 'x-forwarded-for': '198.51.100.7, 203.0.113.9' }
    assert.equal(await loginWith(app.url, proxied), '203.0.113.9')
    assert.equal(await attemptWith(app.url, proxied), '203.0.113.9')
  }).timeout(90_000)
})
