import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import env from '#start/env'
import AuditEntry from '#models/audit_entry'
import ConnectionCheck from '#models/connection_check'
import ProctoringEvent from '#models/proctoring_event'
import ProctoringSession from '#models/proctoring_session'
import Recording from '#models/recording'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { WebClient, openStudentLink, studentApi } from '#tests/helpers/http'

const baseUrl = () => env.get('APP_URL')

/** The first bytes of a real first webcam chunk (MediaRecorder in Chromium), so the container check passes. */
const WEBM_HEAD = Buffer.from(JSON.parse(readFileSync('tests/fixtures/chunk_heads.json', 'utf8')).real[0].head, 'hex')
const webmChunk = () => Buffer.concat([WEBM_HEAD, randomBytes(2000)])

async function startedStudent(exam: Parameters<typeof examWithCandidate>[0] = {}) {
  const student = await openStudentLink(baseUrl(), (await examWithCandidate(exam)).link)
  const api = studentApi(baseUrl(), student)
  if ((await api.startAttempt()).status !== 201) throw new Error('the attempt did not start')
  const session = await ProctoringSession.findByOrFail('publicId', student.sessionId)
  /** Any body, sent as-is to one of this session's API paths. */
  const send = (path: string, body: string | Buffer, type = 'application/json') =>
    fetch(`${baseUrl()}/api/student/sessions/${student.sessionId}${path}`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${student.token}`, 'content-type': type },
      body: typeof body === 'string' ? body : new Uint8Array(body),
    })
  const post = (path: string, body: unknown) => send(path, JSON.stringify(body))
  return { student, api, session, send, post }
}

const event = (extra: Record<string, unknown> = {}) => ({
  clientEventId: randomBytes(8).toString('hex'),
  type: 'focus_lost',
  agoMs: 100,
  ...extra,
})

async function errorOf(response: Response) {
  return { status: response.status, code: (await response.json()).error?.code }
}

const eventsOf = (session: ProctoringSession) => ProctoringEvent.query().where('sessionId', session.id)

test.group('Unchecked bodies are refused (issue 7, item 8)', () => {
  test('an event lasting 1e300 ms is refused with VALIDATION_FAILED and not stored', async ({ assert }) => {
    const { post, session } = await startedStudent()
    assert.deepEqual(await errorOf(await post('/events', event({ durationMs: 1e300 }))), { status: 422, code: 'VALIDATION_FAILED' })
    assert.lengthOf(await eventsOf(session), 0)
  })

  test('an event lasting 31 years (1e12 ms) is refused with VALIDATION_FAILED and not stored', async ({ assert }) => {
    const { post, session } = await startedStudent()
    assert.deepEqual(await errorOf(await post('/events', event({ durationMs: 1e12 }))), { status: 422, code: 'VALIDATION_FAILED' })
    assert.lengthOf(await eventsOf(session), 0)
    /* A real event, a minute long, is still taken. */
    assert.equal((await post('/events', event({ durationMs: 60_000 }))).status, 201)
  })

  test('event details of 900 kB, of 3 kB or nested 5 deep are refused and not stored', async ({ assert }) => {
    const { post, session } = await startedStudent()
    const huge = await post('/events', event({ details: { blob: 'x'.repeat(900_000) } }))
    assert.deepEqual(await errorOf(huge), { status: 413, code: 'BODY_TOO_LARGE' })
    const big = await post('/events', event({ details: { a: 'x'.repeat(400), b: 'x'.repeat(400), c: 'x'.repeat(400), d: 'x'.repeat(400), e: 'x'.repeat(400), f: 'x'.repeat(400) } }))
    assert.deepEqual(await errorOf(big), { status: 422, code: 'VALIDATION_FAILED' })
    const deep = await post('/events', event({ details: { a: { b: { c: { d: { e: 1 } } } } } }))
    assert.deepEqual(await errorOf(deep), { status: 422, code: 'VALIDATION_FAILED' })
    assert.lengthOf(await eventsOf(session), 0)
    /* What the page itself attaches is taken. */
    assert.equal((await post('/events', event({ details: { where: 'exam_page' } }))).status, 201)
  })

  test('check details of 900 kB or 3 kB are refused and not stored', async ({ assert }) => {
    const { post, session } = await startedStudent()
    const check = (details: unknown) => ({ item: 'browser', passed: true, details })
    assert.deepEqual(await errorOf(await post('/checks', check({ blob: 'x'.repeat(900_000) }))), { status: 413, code: 'BODY_TOO_LARGE' })
    assert.deepEqual(await errorOf(await post('/checks', check({ list: Array(40).fill('x'.repeat(60)) }))), { status: 422, code: 'VALIDATION_FAILED' })
    assert.lengthOf(await ConnectionCheck.query().where('sessionId', session.id), 0)
    assert.equal((await post('/checks', check({ name: 'Chrome', version: 156 }))).status, 201)
  })

  test('an unknown key in an event is refused with VALIDATION_FAILED and not stored', async ({ assert }) => {
    const { post, session } = await startedStudent()
    const response = await post('/events', event({ isViolation: false }))
    const body = await response.json()
    assert.equal(response.status, 422)
    assert.equal(body.error.code, 'VALIDATION_FAILED')
    assert.equal(body.error.fields[0].meta.key, 'isViolation')
    assert.lengthOf(await eventsOf(session), 0)
  })

  test('a number sent as text is a wrong type: refused and not stored', async ({ assert }) => {
    const { post, session } = await startedStudent()
    assert.deepEqual(await errorOf(await post('/events', event({ agoMs: '100' }))), { status: 422, code: 'VALIDATION_FAILED' })
    assert.deepEqual(await errorOf(await post('/checks', { item: 'browser', passed: 'true' })), { status: 422, code: 'VALIDATION_FAILED' })
    assert.lengthOf(await eventsOf(session), 0)
    assert.lengthOf(await ConnectionCheck.query().where('sessionId', session.id), 0)
  })

  test('totals for attempt "abc" or an attempt that does not exist are refused with ATTEMPT_NOT_FOUND', async ({ assert }) => {
    const { post } = await startedStudent()
    for (const attempt of ['abc', '0', '1e3', '-1', '99']) {
      assert.deepEqual(await errorOf(await post(`/attempts/${attempt}/totals`, { chunks: { webcam: 1 } })), { status: 404, code: 'ATTEMPT_NOT_FOUND' }, attempt)
    }
  })

  test('totals of 1e20 chunks are refused with VALIDATION_FAILED and not stored', async ({ assert }) => {
    const { api, post, session } = await startedStudent()
    assert.equal((await api.uploadChunk('webcam', 0, webmChunk())).status, 201)
    assert.deepEqual(await errorOf(await post('/attempts/1/totals', { chunks: { webcam: 1e20 } })), { status: 422, code: 'VALIDATION_FAILED' })
    const recording = await Recording.query().where({ sessionId: session.id, stream: 'webcam' }).firstOrFail()
    assert.isNull(recording.expectedChunks)
  })

  test('totals above what the attempt could have recorded are refused with CHUNK_TOTALS_INVALID', async ({ assert }) => {
    const { api, post, session } = await startedStudent()
    assert.equal((await api.uploadChunk('webcam', 0, webmChunk())).status, 201)
    /* The attempt began a moment ago: 500 chunks of 3 s cannot exist yet. */
    assert.deepEqual(await errorOf(await post('/attempts/1/totals', { chunks: { webcam: 500 } })), { status: 422, code: 'CHUNK_TOTALS_INVALID' })
    const recording = await Recording.query().where({ sessionId: session.id, stream: 'webcam' }).firstOrFail()
    assert.isNull(recording.expectedChunks)
    assert.equal((await post('/attempts/1/totals', { chunks: { webcam: 1 } })).status, 200)
  })

  test('totals sent after finishing are refused and the report is not held', async ({ assert }) => {
    const { api, post, session } = await startedStudent()
    assert.equal((await api.uploadChunk('webcam', 0, webmChunk())).status, 201)
    assert.equal((await api.finish(1, { webcam: 1 })).status, 200)
    assert.deepEqual(await errorOf(await post('/attempts/1/totals', { chunks: { webcam: 2 } })), { status: 409, code: 'SESSION_CLOSED' })
    /* Finishing again (the page retries until answered) changes nothing either. */
    assert.equal((await api.finish(1, { webcam: 2 })).status, 200)
    /* The worker holds a recording only while it expects more chunks than are stored
       (analysis-worker/jobs/process_session.ts): here it expects exactly what it has. */
    const recording = await Recording.query().where({ sessionId: session.id, stream: 'webcam' }).firstOrFail()
    assert.equal(recording.expectedChunks, 1)
    assert.equal(recording.chunkCount, 1)
  })

  test("after the server stops a session, the page's totals are taken once and never changed", async ({ assert }) => {
    const { api, post, session } = await startedStudent({ violationLimit: 1 })
    assert.equal((await api.uploadChunk('webcam', 0, webmChunk())).status, 201)
    await post('/events', event())
    const stop = await (await post('/events', event())).json()
    assert.isTrue(stop.stopped)
    assert.equal((await post('/attempts/1/totals', { chunks: { webcam: 1 } })).status, 200)
    assert.equal((await post('/attempts/1/totals', { chunks: { webcam: 1 } })).status, 200, 'the same totals again (a retry)')
    assert.deepEqual(await errorOf(await post('/attempts/1/totals', { chunks: { webcam: 2 } })), { status: 409, code: 'SESSION_CLOSED' })
    const recording = await Recording.query().where({ sessionId: session.id, stream: 'webcam' }).firstOrFail()
    assert.equal(recording.expectedChunks, 1)
  })

  test('broken JSON, an over-size body and a wrong content type each get their own code', async ({ assert }) => {
    const { send, session } = await startedStudent()
    assert.deepEqual(await errorOf(await send('/events', '{"type": "focus_lost",')), { status: 400, code: 'JSON_INVALID' })
    assert.deepEqual(await errorOf(await send('/events', '"just a string"')), { status: 400, code: 'JSON_INVALID' })
    assert.deepEqual(await errorOf(await send('/events', `{"a":"${'x'.repeat(100_000)}"}`)), { status: 413, code: 'BODY_TOO_LARGE' })
    assert.deepEqual(await errorOf(await send('/events', JSON.stringify(event()), 'text/plain')), { status: 415, code: 'CONTENT_TYPE_INVALID' })
    assert.deepEqual(await errorOf(await send('/finish', 'attempt=1', 'application/x-www-form-urlencoded')), { status: 415, code: 'CONTENT_TYPE_INVALID' })
    assert.deepEqual(await errorOf(await send('/speed-test', randomBytes(1000), 'application/json')), { status: 400, code: 'JSON_INVALID' })
    assert.lengthOf(await eventsOf(session), 0)
    await session.refresh()
    assert.isTrue(session.isOpen)
  })

  test('the links form refuses an unknown field and issues no link', async ({ assert }) => {
    const { user, password } = await staffUser('admin')
    const { exam, candidate } = await examWithCandidate()
    const admin = new WebClient(baseUrl())
    await admin.login(user.email, password)
    const csrf = /name='_csrf' value='([^']+)'/.exec(await (await admin.request('/staff/links')).text())![1]
    const issued = () => AuditEntry.query().where('action', 'link.issue').count('* as n').first()
    const before = Number((await issued())!.$extras.n)
    const response = await admin.request('/staff/links', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'hx-request': 'true' },
      body: new URLSearchParams({ '_csrf': csrf, 'examIds[]': String(exam.id), 'candidateId': String(candidate.id), 'hours': '1', 'role': 'admin' }).toString(),
    })
    assert.equal(response.status, 422)
    assert.include(await response.text(), 'VALIDATION_FAILED')
    assert.equal(Number((await issued())!.$extras.n), before)
  })

  test('a results filter that makes no sense is refused with VALIDATION_FAILED', async ({ assert }) => {
    const { user, password } = await staffUser('proctor')
    const proctor = new WebClient(baseUrl())
    await proctor.login(user.email, password)
    for (const query of ['status=deleted', 'page=-1', 'page=abc', `q=${'x'.repeat(300)}`, 'q[]=a&q[]=b']) {
      const response = await proctor.request(`/staff/results?${query}`)
      assert.equal(response.status, 422, query)
      assert.include(await response.text(), 'data-error-code="VALIDATION_FAILED"', query)
    }
    assert.equal((await proctor.request('/staff/results?q=&status=&exam=')).status, 200)
  })
})
