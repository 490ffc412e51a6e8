import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { test } from '@japa/runner'
import env from '#start/env'
import System from '#models/system'
import Candidate from '#models/candidate'
import ProctoringSession from '#models/proctoring_session'
import WebhookDelivery from '#models/webhook_delivery'
import Job from '#models/job'
import AuditEntry from '#models/audit_entry'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { WebClient, openStudentLink, studentApi } from '#tests/helpers/http'
import { regenerateSecret } from '#actions/systems/secrets'
import { WEBHOOK_JOB, deliverDueWebhooks } from '#services/webhooks'
import { setDecision } from '#actions/reviews/decisions'
import { AppServer } from '#tests/helpers/app_server'

const baseUrl = () => env.get('APP_URL')
const ADMIN = { userId: null, name: 'test', role: 'admin' }

type Received = { headers: IncomingHttpHeaders; body: string; signatureValid: boolean; json: any }

/**
 * Another system's webhook receiver on loopback, as its README would have it written: it
 * checks X-Proctor-Signature (HMAC-SHA256 of "<X-Proctor-Timestamp>.<body>" under the webhook
 * secret) and the timestamp's age, refuses (401) what does not check out, and otherwise answers
 * with the next status of its script (the last one from then on).
 */
async function receiver(script: number[] = [200]) {
  const state = { secret: '', received: [] as Received[] }
  const server: Server = createServer((request, response) => {
    const parts: Buffer[] = []
    request.on('data', (part) => parts.push(part))
    request.on('end', () => {
      const body = Buffer.concat(parts).toString('utf8')
      const timestamp = String(request.headers['x-proctor-timestamp'] ?? '')
      const expected = createHmac('sha256', state.secret).update(`${timestamp}.${body}`).digest('hex')
      const given = String(request.headers['x-proctor-signature'] ?? '')
      const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) < 300
      const signatureValid = fresh && given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected))
      state.received.push({ headers: request.headers, body, signatureValid, json: JSON.parse(body) })
      const status = signatureValid ? script[Math.min(state.received.length - 1, script.length - 1)] : 401
      if (status === 302) response.setHeader('location', `http://127.0.0.1:1/elsewhere`)
      response.writeHead(status).end('ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/proctor`
  return { url, state, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

let seq = 0
/** A portal with a webhook URL and its webhook secret (given to the receiver), and a student's session from it. */
async function portalWithSession(url: string, state: { secret: string }) {
  seq++
  const system = await System.create({ name: `Portal hooks ${seq} ${Date.now()}`, kind: 'link', active: true, webhookUrl: url } as any)
  state.secret = await regenerateSecret(ADMIN, system, 'webhook')
  const fixture = await examWithCandidate()
  const student = await openStudentLink(baseUrl(), fixture.link)
  const session = await ProctoringSession.findByOrFail('publicId', student.sessionId)
  session.systemId = system.id
  await session.save()
  return { system, session, student, fixture }
}

async function logIn(role: 'admin' | 'proctor') {
  const { user, password } = await staffUser(role)
  const client = new WebClient(baseUrl())
  await client.login(user.email, password)
  const page = await (await client.request('/staff/results')).text()
  return { client, csrf: /name='_csrf' value='([^']+)'/.exec(page)?.[1] ?? '' }
}

/** Runs the scheduler's delivery step until `done` holds (retries come due after their pause). */
async function deliverUntil(done: () => boolean, retryBaseMs: number, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs
  while (!done() && Date.now() < until) {
    await deliverDueWebhooks({ retryBaseMs, timeoutMs: 2000 })
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

test.group('Webhooks to other systems (issue 10)', () => {
  test('a decision triggers the webhook to a receiver on loopback that checks its signature', async ({ assert, cleanup }) => {
    const hook = await receiver([200])
    cleanup(hook.close)
    const { system, session, fixture } = await portalWithSession(hook.url, hook.state)

    /* A proctor sets the decision through the report's form. */
    const { client, csrf } = await logIn('proctor')
    const posted = await client.request(`/staff/sessions/${session.publicId}/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, decision: 'rejected', comment: 'Second person' }).toString(),
    })
    assert.equal(posted.status, 302)
    assert.equal(await Job.query().where('type', WEBHOOK_JOB).whereRaw(`json_extract(payload, '$.systemId') = ?`, [system.id]).count('* as n').then((r) => Number(r[0].$extras.n)), 1)

    await deliverUntil(() => hook.state.received.length >= 1, 50)
    assert.lengthOf(hook.state.received, 1)
    const [call] = hook.state.received
    assert.isTrue(call.signatureValid, 'the receiver verified X-Proctor-Signature with the webhook secret')
    assert.equal(call.headers['content-type'], 'application/json')
    assert.equal(call.headers['x-proctor-event'], 'decision.set')
    const candidate = await Candidate.findOrFail(fixture.candidate.id)
    assert.containsSubset(call.json, {
      event: 'decision.set',
      sessionId: session.publicId,
      examId: fixture.exam.id,
      candidateExternalId: candidate.externalId,
      status: 'not_started',
      decision: 'rejected',
    })
    assert.match(call.json.at, /^\d{4}-\d\d-\d\dT/)
    assert.equal(call.headers['x-proctor-delivery'], call.json.deliveryId)

    /* Logged as delivered, and shown on the system's page. */
    const [row] = await WebhookDelivery.query().where('systemId', system.id)
    assert.deepInclude({ attempt: row.attempt, statusCode: row.statusCode, error: row.error }, { attempt: 1, statusCode: 200, error: null })
    assert.isNotNull(row.deliveredAt)
    const admin = await logIn('admin')
    const page = await (await admin.client.request(`/staff/directory/systems/${system.id}/edit`)).text()
    assert.include(page, 'data-testid="webhook-deliveries"')
    assert.include(page, 'Decision set')
    assert.include(page, `data-delivery="${call.json.deliveryId}" data-attempt="1" data-status="200"`)
  })

  test('a receiver failing twice receives it a third time', async ({ assert, cleanup }) => {
    const hook = await receiver([500, 500, 200])
    cleanup(hook.close)
    const { system, session, student } = await portalWithSession(hook.url, hook.state)

    /* The student finishes: the session ends. */
    const api = studentApi(baseUrl(), student)
    assert.equal((await api.startAttempt()).status, 201)
    assert.equal((await api.finish(1, {})).status, 200)

    await deliverUntil(() => hook.state.received.length >= 3, 100)
    assert.lengthOf(hook.state.received, 3)
    assert.isTrue(hook.state.received.every((call) => call.signatureValid))
    /* The same event each time (one delivery id, one body), re-signed at each attempt. */
    assert.equal(new Set(hook.state.received.map((call) => call.body)).size, 1)
    assert.containsSubset(hook.state.received[2].json, { event: 'session.finished', sessionId: session.publicId, status: 'finished' })

    /* Nothing more once it answered 2xx. */
    await deliverDueWebhooks({ retryBaseMs: 1 })
    assert.lengthOf(hook.state.received, 3)

    const log = await WebhookDelivery.query().where('systemId', system.id).orderBy('id', 'asc')
    assert.deepEqual(log.map((row) => [row.attempt, row.statusCode, row.error, Boolean(row.deliveredAt), Boolean(row.nextTryAt)]), [
      [1, 500, 'HTTP 500', false, true],
      [2, 500, 'HTTP 500', false, true],
      [3, 200, null, true, false],
    ])

    /* The system's page lists the three attempts, newest first. */
    const admin = await logIn('admin')
    const page = await (await admin.client.request(`/staff/directory/systems/${system.id}/edit`)).text()
    const attempts = [...page.matchAll(/data-attempt="(\d)" data-status="(\d*)"/g)].map((m) => `${m[1]}:${m[2]}`)
    assert.deepEqual(attempts, ['3:200', '2:500', '1:500'])
    assert.include(page, 'Session ended')
  })

  test('a receiver that never answers 2xx is given up after the last attempt', async ({ assert, cleanup }) => {
    const hook = await receiver([503])
    cleanup(hook.close)
    const { system, session } = await portalWithSession(hook.url, hook.state)
    const { client, csrf } = await logIn('proctor')
    await client.request(`/staff/sessions/${session.publicId}/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, decision: 'accepted' }).toString(),
    })
    const job = await Job.query().where('type', WEBHOOK_JOB).whereRaw(`json_extract(payload, '$.systemId') = ?`, [system.id]).firstOrFail()
    await deliverUntil(() => hook.state.received.length >= job.maxAttempts, 5)
    await deliverDueWebhooks({ retryBaseMs: 1 })
    assert.lengthOf(hook.state.received, job.maxAttempts)
    await job.refresh()
    assert.equal(job.status, 'failed')
    const last = await WebhookDelivery.query().where('systemId', system.id).orderBy('id', 'desc').firstOrFail()
    assert.equal(last.attempt, job.maxAttempts)
    assert.isNull(last.nextTryAt)

    const admin = await logIn('admin')
    const page = await (await admin.client.request(`/staff/directory/systems/${system.id}/edit`)).text()
    assert.include(page, 'No more tries')
  })

  test('an admin sends a given-up webhook again, and it is delivered', async ({ assert, cleanup }) => {
    const hook = await receiver([...Array(8).fill(503), 200])
    cleanup(hook.close)
    const { system, session } = await portalWithSession(hook.url, hook.state)
    const { client, csrf } = await logIn('proctor')
    await client.request(`/staff/sessions/${session.publicId}/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, decision: 'rejected' }).toString(),
    })
    const job = await Job.query().where('type', WEBHOOK_JOB).whereRaw(`json_extract(payload, '$.systemId') = ?`, [system.id]).firstOrFail()
    await deliverUntil(() => hook.state.received.length >= job.maxAttempts, 5)
    await job.refresh()
    assert.equal(job.status, 'failed')

    /* The system's page offers "Send again" on the given-up delivery's newest line only. */
    const admin = await logIn('admin')
    const editPath = `/staff/directory/systems/${system.id}/edit`
    const page = await (await admin.client.request(editPath)).text()
    assert.equal(page.split('data-testid="retry-delivery"').length - 1, 1)
    const deliveryId = hook.state.received[0].json.deliveryId
    const retryPath = `/staff/directory/systems/${system.id}/deliveries/${deliveryId}/retry`
    const send = () => admin.client.request(retryPath, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: admin.csrf }).toString(),
    })
    const retried = await send()
    assert.equal(retried.status, 302)
    assert.equal(retried.headers.get('location'), `${editPath}#title-deliveries`)
    assert.include(await (await admin.client.request(editPath)).text(), 'Sent again: a new round of attempts starts now.')

    await deliverUntil(() => hook.state.received.length >= job.maxAttempts + 1, 5)
    assert.lengthOf(hook.state.received, job.maxAttempts + 1)
    const last = hook.state.received.at(-1)!
    assert.isTrue(last.signatureValid)
    assert.equal(last.json.deliveryId, deliveryId, 'the same event, with its delivery id')
    const newest = await WebhookDelivery.query().where('systemId', system.id).orderBy('id', 'desc').firstOrFail()
    assert.deepInclude({ attempt: newest.attempt, statusCode: newest.statusCode }, { attempt: 1, statusCode: 200 })
    assert.isNotNull(newest.deliveredAt)

    /* Delivered: nothing to send again. Archived once. */
    const again = await send()
    assert.equal(again.status, 409)
    assert.include(await again.text(), 'WEBHOOK_NOT_GIVEN_UP')
    const entries = await AuditEntry.query().where({ action: 'system.webhook_retry', subjectId: String(system.id) })
    assert.lengthOf(entries, 1)
    assert.deepInclude(entries[0].details as any, { deliveryId, event: 'decision.set', session: session.publicId })
  })

  test('only the registered URL is contacted: a redirect is not followed, a silent receiver times out', async ({ assert, cleanup }) => {
    const hook = await receiver([302])
    cleanup(hook.close)
    const { system, session } = await portalWithSession(hook.url, hook.state)
    const { client, csrf } = await logIn('proctor')
    await client.request(`/staff/sessions/${session.publicId}/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, decision: 'review' }).toString(),
    })
    await deliverUntil(() => hook.state.received.length >= 1, 60_000)
    const [first] = await WebhookDelivery.query().where('systemId', system.id)
    assert.equal(first.statusCode, 302)
    assert.isNull(first.deliveredAt)
    /* Tried again after the base pause, then after twice that. */
    const secondsAhead = (row: WebhookDelivery) => (row.nextTryAt!.toMillis() - Date.now()) / 1000
    assert.closeTo(secondsAhead(first), 60, 3)
    await Job.query().where('type', WEBHOOK_JOB).whereRaw(`json_extract(payload, '$.systemId') = ?`, [system.id]).update({ runAt: 0 })
    await deliverDueWebhooks({ retryBaseMs: 60_000, timeoutMs: 2000 })
    const second = await WebhookDelivery.query().where('systemId', system.id).orderBy('id', 'desc').firstOrFail()
    assert.equal(second.attempt, 2)
    assert.closeTo(secondsAhead(second), 120, 3)
    assert.lengthOf(hook.state.received, 2)

    /* A receiver that takes the request and never answers: the attempt ends at the timeout. */
    const silent = createServer(() => {})
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    cleanup(() => new Promise<void>((resolve) => { silent.closeAllConnections(); silent.close(() => resolve()) }))
    const quiet = await portalWithSession(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/hook`, { secret: '' })
    const proctor = await logIn('proctor')
    await proctor.client.request(`/staff/sessions/${quiet.session.publicId}/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: proctor.csrf, decision: 'review' }).toString(),
    })
    const started = Date.now()
    await deliverDueWebhooks({ retryBaseMs: 60_000, timeoutMs: 300 })
    assert.isBelow(Date.now() - started, 5000)
    const [timedOut] = await WebhookDelivery.query().where('systemId', quiet.system.id)
    assert.equal(timedOut.error, 'timeout')
    assert.isNull(timedOut.statusCode)
  })

  test('a session stopped at the violation limit also sends session.finished, with its status', async ({ assert, cleanup }) => {
    const hook = await receiver([200])
    cleanup(hook.close)
    const { session, student } = await portalWithSession(hook.url, hook.state)
    const { default: Exam } = await import('#models/exam')
    await Exam.query().where('id', session.examId).update({ violationLimit: 1 })
    const api = studentApi(baseUrl(), student)
    assert.equal((await api.startAttempt()).status, 201)
    for (const id of ['stop-1', 'stop-2']) {
      await fetch(`${baseUrl()}/api/student/sessions/${student.sessionId}/events`, {
        method: 'POST',
        headers: { 'authorization': `Bearer ${student.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ clientEventId: `${id}-${session.id}`, type: 'tab_hidden', agoMs: 5 }),
      })
    }
    await session.refresh()
    assert.equal(session.status, 'stopped')
    await deliverUntil(() => hook.state.received.length >= 1, 50)
    assert.lengthOf(hook.state.received, 1)
    assert.containsSubset(hook.state.received[0].json, { event: 'session.finished', sessionId: session.publicId, status: 'stopped' })
  })

  test('a session from no system, or from one without a webhook URL, sends nothing', async ({ assert }) => {
    const before = await Job.query().where('type', WEBHOOK_JOB).count('* as n').then((r) => Number(r[0].$extras.n))
    const plain = await examWithCandidate()
    const student = await openStudentLink(baseUrl(), plain.link)
    const api = studentApi(baseUrl(), student)
    await api.startAttempt()
    await api.finish(1, {})
    const system = await System.create({ name: `No hooks ${Date.now()}`, kind: 'link', active: true } as any)
    const other = await openStudentLink(baseUrl(), (await examWithCandidate()).link)
    await ProctoringSession.query().where('publicId', other.sessionId).update({ systemId: system.id })
    const otherApi = studentApi(baseUrl(), other)
    await otherApi.startAttempt()
    await otherApi.finish(1, {})
    assert.equal(await Job.query().where('type', WEBHOOK_JOB).count('* as n').then((r) => Number(r[0].$extras.n)), before)
  })

  test('the running appliance delivers webhooks by itself: its scheduler sends, and retries after a failure', async ({ assert, cleanup }) => {
    const hook = await receiver([500, 200])
    cleanup(hook.close)
    const server = await AppServer.start({ WEBHOOK_RETRY_BASE_MS: '300' })
    cleanup(() => server.stop())
    const { session } = await portalWithSession(hook.url, hook.state)
    await setDecision(session, { decision: 'accepted', comment: null }, ADMIN, '127.0.0.1')
    const until = Date.now() + 20_000
    while (hook.state.received.length < 2 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 200))
    assert.lengthOf(hook.state.received, 2, server.output)
    assert.isTrue(hook.state.received.every((call) => call.signatureValid))
    assert.equal(hook.state.received[1].json.decision, 'accepted')
  }).timeout(90_000)
})
