import { test } from '@japa/runner'
import { createHash, randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import { chunkBytes } from '#services/chunk_files'
import Attempt from '#models/attempt'
import ProctoringEvent from '#models/proctoring_event'
import ProctoringSession from '#models/proctoring_session'
import Recording from '#models/recording'
import { dataDir } from '#config/paths'
import { AppServer } from '#tests/helpers/app_server'
import { webmChunk } from '#tests/helpers/chunks'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { WebClient, openStudentLink, sha256, studentApi } from '#tests/helpers/http'

const STUDENTS = 20
const CHUNKS_EACH = 25
const HEARTBEATS_EACH = 10
const EVENTS_EACH = 10
const REPORT_VIEWS = 100
const PARALLEL = 24

/** Runs the tasks with at most `limit` of them in flight at once. */
async function inParallel<T>(tasks: (() => Promise<T>)[], limit: number) {
  const results: T[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const index = next++
        results[index] = await tasks[index]()
      }
    })
  )
  return results
}

/**
 * What the analysis worker writes while an exam runs (analysis-worker/jobs/analyse_recording.ts):
 * a window's findings and the recording's progress in one transaction, again and again. Run
 * from this test's own process, a process apart from the two web processes, on the same file,
 * a window every 10 ms (a real worker writes one every few seconds).
 */
async function writeFindingsLikeTheWorker(recordings: Recording[], until: () => boolean) {
  let written = 0
  for (let window = 0; !until(); window++) {
    const recording = recordings[window % recordings.length]
    const attempt = await Attempt.findOrFail(recording.attemptId)
    await db.transaction(async (trx) => {
      for (const type of ['no_face', 'voice_detected']) {
        await ProctoringEvent.create(
          {
            sessionId: recording.sessionId,
            attemptId: attempt.id,
            recordingId: recording.id,
            type,
            source: 'analysis',
            isViolation: true,
            startedAt: attempt.startedAt.plus({ seconds: window * 3 }),
            endedAt: attempt.startedAt.plus({ seconds: window * 3 + 2 }),
            offsetStart: window * 3,
            offsetEnd: window * 3 + 2,
            details: { window },
          },
          { client: trx }
        )
        written++
      }
      await trx.from('recordings').where('id', recording.id).update({ analysed_chunks: window, analysed_seconds: window * 3 })
    })
    /* The real worker decodes and analyses frames between two windows (seconds); 10 ms is far busier. */
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return written
}

test.group('Load beside the analysis worker', () => {
  test('1,000 student requests and report views beside the worker writing findings: no 5xx, no chunk, event or finding lost', async ({
    assert,
  }) => {
    /* Two web processes (as on a 2-core appliance) and this process writing as the worker does: three writers on one file. */
    const server = await AppServer.start({ WEB_PROCESSES: '2' })
    try {
      const students = []
      for (let i = 0; i < STUDENTS; i++) {
        const student = await openStudentLink(server.url, (await examWithCandidate()).link)
        const api = studentApi(server.url, student)
        assert.equal((await api.startAttempt()).status, 201)
        /* Each student's first chunk opens the webcam recording the worker analyses. */
        assert.equal((await api.uploadChunk('webcam', 0, webmChunk(0, 40_000))).status, 201)
        students.push({ ...student, api })
      }
      const { user, password } = await staffUser('proctor')
      const proctor = new WebClient(server.url)
      await proctor.login(user.email, password)
      const recordings = await Recording.query().where('stream', 'webcam').whereIn(
        'sessionId',
        (await ProctoringSession.query().whereIn('publicId', students.map((s) => s.sessionId))).map((s) => s.id)
      )

      const sent: { sessionId: string; stream: string; seq: number; sha: string }[] = []
      const events: string[] = []
      const statuses = new Map<number, number>()
      const count = (status: number) => void statuses.set(status, (statuses.get(status) ?? 0) + 1)
      const tasks: (() => Promise<void>)[] = []
      for (const student of students) {
        const post = (path: string, body: unknown) =>
          fetch(`${server.url}/api/student/sessions/${student.sessionId}${path}`, {
            method: 'POST',
            headers: { 'authorization': `Bearer ${student.token}`, 'content-type': 'application/json' },
            body: JSON.stringify(body),
          })
        /* Webcam chunks 1.. (0 went up above), screen chunks 0..: 25 chunks of 30-150 kB per student. */
        for (let n = 0; n < CHUNKS_EACH; n++) {
          const stream = n % 2 ? 'screen' : 'webcam'
          const seq = stream === 'webcam' ? n / 2 + 1 : (n - 1) / 2
          tasks.push(async () => {
            const bytes = webmChunk(seq, 30_000 + ((n * 7919) % 120_000))
            const response = await student.api.uploadChunk(stream, seq, bytes)
            count(response.status)
            if (response.ok) sent.push({ sessionId: student.sessionId, stream, seq, sha: sha256(bytes) })
          })
        }
        for (let i = 0; i < HEARTBEATS_EACH; i++) tasks.push(async () => count((await post('/heartbeat', {})).status))
        for (let i = 0; i < EVENTS_EACH; i++) {
          tasks.push(async () => {
            const clientEventId = `load-${randomUUID()}`
            const response = await post('/events', { clientEventId, type: 'focus_lost', agoMs: 50, durationMs: 1500, attempt: 1 })
            count(response.status)
            if (response.ok) events.push(clientEventId)
          })
        }
      }
      for (let i = 0; i < REPORT_VIEWS; i++) {
        const student = students[i % students.length]
        tasks.push(async () => count((await proctor.request(`/staff/sessions/${student.sessionId}`)).status))
      }
      /* Mixed, as they would arrive from many browsers at once. */
      tasks.sort(() => Math.random() - 0.5)
      assert.isAtLeast(tasks.length, 1000)

      let loadDone = false
      const worker = writeFindingsLikeTheWorker(recordings, () => loadDone)
      await inParallel(tasks, PARALLEL)
      loadDone = true
      const findings = await worker

      const failures = [...statuses].filter(([status]) => status >= 500 || status === 0)
      assert.deepEqual(failures, [], `answers by status: ${JSON.stringify([...statuses])}`)
      assert.equal(sent.length, STUDENTS * CHUNKS_EACH, `answers by status: ${JSON.stringify([...statuses])}`)
      assert.equal(events.length, STUDENTS * EVENTS_EACH)

      /* Every acknowledged chunk is in the database and on disk, byte for byte. */
      for (const chunk of sent) {
        const row = await db
          .from('recording_chunks as c')
          .join('recordings as r', 'r.id', 'c.recording_id')
          .join('proctoring_sessions as s', 's.id', 'r.session_id')
          .where({ 's.public_id': chunk.sessionId, 'r.stream': chunk.stream, 'c.seq': chunk.seq })
          .select('c.sha256', 'c.path', 'c.byte_offset as byteOffset', 'c.size')
          .first()
        assert.equal(row?.sha256, chunk.sha, `${chunk.sessionId} ${chunk.stream} ${chunk.seq}`)
        assert.equal(createHash('sha256').update(await chunkBytes(dataDir, row)).digest('hex'), chunk.sha)
      }
      /* Every acknowledged event is stored once, and every finding the "worker" wrote is there. */
      const storedEvents = await ProctoringEvent.query().whereIn('clientEventId', events)
      assert.equal(storedEvents.length, events.length)
      const storedFindings = await ProctoringEvent.query()
        .where('source', 'analysis')
        .whereIn('recordingId', recordings.map((r) => r.id))
        .where('createdAt', '>=', DateTime.now().minus({ hours: 1 }).toSQL({ includeOffset: false })!)
      assert.isAtLeast(findings, 2)
      assert.equal(storedFindings.length, findings)
    } finally {
      await server.stop()
    }
  }).timeout(300_000)
})
