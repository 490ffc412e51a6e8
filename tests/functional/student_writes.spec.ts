import { test } from '@japa/runner'
import { request as httpRequest } from 'node:http'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import analysis from '#config/analysis'
import Job from '#models/job'
import ProctoringEvent from '#models/proctoring_event'
import ProctoringSession from '#models/proctoring_session'
import Recording from '#models/recording'
import RecordingChunk from '#models/recording_chunk'
import { webmChunk } from '#tests/helpers/chunks'
import { examWithCandidate } from '#tests/helpers/fixtures'
import { openStudentLink, sha256, studentApi } from '#tests/helpers/http'

const baseUrl = () => env.get('APP_URL')

async function startedStudent() {
  const student = await openStudentLink(baseUrl(), (await examWithCandidate()).link)
  const api = studentApi(baseUrl(), student)
  if ((await api.startAttempt()).status !== 201) throw new Error('the attempt did not start')
  const session = await ProctoringSession.findByOrFail('publicId', student.sessionId)
  const post = (path: string, body: unknown) =>
    fetch(`${baseUrl()}/api/student/sessions/${student.sessionId}${path}`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${student.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  return { student, api, session, post }
}

async function webcamChunks(session: ProctoringSession) {
  const recording = await Recording.query().where({ sessionId: session.id, stream: 'webcam' }).first()
  return recording ? RecordingChunk.query().where('recordingId', recording.id) : []
}

test.group('What a student may still write', () => {
  test('a finished session refuses new events, photos, checks and chunks once the grace is over', async ({ assert }) => {
    const { student, api, session, post } = await startedStudent()
    assert.equal((await api.uploadChunk('webcam', 0, webmChunk(0, 2000))).status, 201)
    assert.equal((await api.finish(1, { webcam: 2 })).status, 200)

    /* Within the grace, the last attempt's chunk still on its way is taken. */
    assert.equal((await api.uploadChunk('webcam', 1, webmChunk(1, 2000))).status, 201)

    /* Past it, nothing more: the session ended longer ago than CLOSED_SESSION_GRACE_SECONDS. */
    await ProctoringSession.query().where('id', session.id).update({ endedAt: DateTime.now().minus({ hours: 1 }).toSQL({ includeOffset: false }) })
    const refused = [
      await api.uploadChunk('webcam', 2, webmChunk(2, 2000)),
      await post('/events', { clientEventId: 'late-event-1', type: 'focus_lost', agoMs: 10, attempt: 1 }),
      await post('/checks', { item: 'camera', passed: true }),
      await post('/attempts', {}),
      await fetch(`${baseUrl()}/api/student/sessions/${session.publicId}/identity/face`, {
        method: 'POST',
        headers: { 'authorization': `Bearer ${student.token}`, 'content-type': 'image/jpeg' },
        body: new Uint8Array(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10])),
      }),
    ]
    for (const response of refused) {
      assert.equal(response.status, 409)
      assert.equal((await response.json()).error.code, 'SESSION_CLOSED')
    }
    assert.lengthOf(await webcamChunks(session), 2)
    assert.lengthOf(await ProctoringEvent.query().where({ sessionId: session.id, clientEventId: 'late-event-1' }), 0)

    /* Reading the status (the page's heartbeat) is still allowed: that is how the page learns it ended. */
    const heartbeat = await post('/heartbeat', {})
    assert.equal(heartbeat.status, 200)
    assert.equal((await heartbeat.json()).status, 'finished')
  })

  test('a chunk is never stored without the analysis job of its window', async ({ assert }) => {
    const { api, session } = await startedStudent()
    const last = analysis.windowChunks - 1
    for (let seq = 0; seq < last; seq++) assert.equal((await api.uploadChunk('webcam', seq, webmChunk(seq, 1500))).status, 201)

    /* Queueing the job fails (as a full disk or a broken jobs table would make it): the chunk must not be kept either. */
    await db.rawQuery(`CREATE TRIGGER refuse_jobs BEFORE INSERT ON jobs BEGIN SELECT RAISE(ABORT, 'jobs refused'); END`)
    const bytes = webmChunk(last, 1500)
    try {
      const failed = await api.uploadChunk('webcam', last, bytes)
      assert.isAtLeast(failed.status, 500)
      assert.notInclude((await webcamChunks(session)).map((c) => c.seq), last)
    } finally {
      await db.rawQuery('DROP TRIGGER refuse_jobs')
    }

    /* The browser keeps the chunk and sends it again: now both the chunk and its job are there. */
    const retried = await api.uploadChunk('webcam', last, bytes, { sha: sha256(bytes) })
    assert.equal(retried.status, 201)
    const recording = await Recording.query().where({ sessionId: session.id, stream: 'webcam' }).firstOrFail()
    assert.include((await webcamChunks(session)).map((c) => c.seq), last)
    assert.lengthOf(await Job.query().where({ uniqueKey: `analyse_recording:${recording.id}`, status: 'queued' }), 1)
  })

  test('a 17 MiB chunk streamed without Content-Length is answered 413, not with a reset connection', async ({ assert }) => {
    const { student, session } = await startedStudent()
    const url = new URL(`${baseUrl()}/api/student/sessions/${student.sessionId}/recordings/webcam/chunks/0`)
    const piece = webmChunk(0, 1024 * 1024)
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            'authorization': `Bearer ${student.token}`,
            'content-type': 'video/webm',
            'x-attempt': '1',
            'x-chunk-sha256': '0'.repeat(64),
            'transfer-encoding': 'chunked',
          },
        },
        (response) => {
          let body = ''
          response.on('data', (data) => (body += data))
          response.on('end', () => resolve({ status: response.statusCode!, body }))
        }
      )
      request.on('error', reject)
      ;(async () => {
        for (let i = 0; i < 17; i++) {
          if (!request.write(piece)) await new Promise((r) => request.once('drain', r))
        }
        request.end()
      })().catch(reject)
    })
    assert.equal(answer.status, 413)
    assert.equal(JSON.parse(answer.body).error.code, 'CHUNK_TOO_LARGE')
    assert.lengthOf(await webcamChunks(session), 0)
  })
})
