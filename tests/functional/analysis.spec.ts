import { test } from '@japa/runner'
import env from '#start/env'
import Job from '#models/job'
import ProctoringEvent from '#models/proctoring_event'
import ProctoringSession from '#models/proctoring_session'
import Recording from '#models/recording'
import { WorkerProcess } from '#tests/helpers/app_server'
import { candidatePhoto, examVideo, sliceIntoChunks, type Segment } from '#tests/helpers/exam_video'
import { examWithCandidate } from '#tests/helpers/fixtures'
import { webmChunk } from '#tests/helpers/chunks'
import { openStudentLink, studentApi } from '#tests/helpers/http'
import { runDueJobs } from '#tests/helpers/jobs'
import { waitFor } from '#tests/helpers/wait'

const baseUrl = () => env.get('APP_URL')

/** 110 s: the candidate, nobody, the candidate, three people, the candidate, someone else, the candidate. */
const PLAN: Segment[] = [
  { what: 'own', seconds: 20 },
  { what: 'empty', seconds: 10 },
  { what: 'own', seconds: 20 },
  { what: 'group', seconds: 10 },
  { what: 'own', seconds: 20 },
  { what: 'other', seconds: 15 },
  { what: 'own', seconds: 15 },
]
const SPEECH_AT = 36

/** A student who sent their face photo and started; their webcam chunks are ready to upload. */
async function recordedStudent(name: string, plan = PLAN) {
  const { link, candidate } = await examWithCandidate({ examUrl: null })
  const student = await openStudentLink(baseUrl(), link)
  const api = studentApi(baseUrl(), student)
  await api.startAttempt()
  const photo = await fetch(`${baseUrl()}/api/student/sessions/${student.sessionId}/identity/face`, {
    method: 'POST',
    headers: { 'authorization': `Bearer ${student.token}`, 'content-type': 'image/jpeg' },
    body: new Uint8Array(await candidatePhoto()),
  })
  if ((await photo.json()).result !== 'accepted') throw new Error('the candidate photo was not accepted')
  const video = await examVideo(name, plan, SPEECH_AT)
  const chunks = await sliceIntoChunks(video.file)
  const session = await ProctoringSession.findByOrFail('publicId', student.sessionId)
  return { api, chunks, video, session, candidate }
}

async function upload(api: ReturnType<typeof studentApi>, chunks: Buffer[], stream = 'webcam', type = 'video/webm;codecs=vp8,opus') {
  for (const [seq, chunk] of chunks.entries()) {
    const response = await api.uploadChunk(stream, seq, chunk, { type })
    if (response.status !== 201) throw new Error(`chunk ${seq} answered ${response.status}`)
  }
}

async function findings(session: ProctoringSession) {
  return ProctoringEvent.query().where({ sessionId: session.id, source: 'analysis' }).orderBy('offsetStart')
}

function assertPlanted(assert: any, events: ProctoringEvent[], speech: { start: number; end: number }) {
  const expected: Record<string, [number, number]> = {
    no_face: [20, 30],
    multiple_faces: [50, 60],
    face_mismatch: [80, 95],
    voice_detected: [speech.start, speech.end],
  }
  assert.sameMembers(events.map((e) => e.type), Object.keys(expected), 'each planted violation once, nothing else')
  for (const event of events) {
    const [start, end] = expected[event.type]
    assert.approximately(event.offsetStart!, start, 2, `${event.type} starts near ${start} s`)
    assert.approximately(event.offsetEnd!, end, 2, `${event.type} ends near ${end} s`)
  }
}

test.group('Analysis worker', () => {
  test('finds each planted violation within 2 s of where it was put, and nothing else', async ({ assert }) => {
    const { api, chunks, video, session } = await recordedStudent('plan-a')
    /* Chunks arrive while the exam runs; the worker analyses each window as it fills. */
    for (const [seq, chunk] of chunks.entries()) {
      assert.equal((await api.uploadChunk('webcam', seq, chunk)).status, 201)
      if ((seq + 1) % 10 === 0) await runDueJobs()
    }
    const analysedBeforeEnd = (await Recording.query().where({ sessionId: session.id, stream: 'webcam' }).firstOrFail()).analysedSeconds
    assert.isAbove(analysedBeforeEnd, 30, 'windows were analysed while the exam went on')
    await api.finish(1, { webcam: chunks.length })
    await runDueJobs()

    assertPlanted(assert, await findings(session), video.speech)
    const recording = await Recording.query().where({ sessionId: session.id, stream: 'webcam' }).firstOrFail()
    assert.equal(recording.status, 'ready')
    await session.refresh()
    assert.isBelow(session.credibility!, 100)
    assert.includeMembers(Object.keys((session.credibilityBreakdown as any).breakdown), ['no_face', 'multiple_faces', 'face_mismatch', 'voice_detected'])
    const noFace = (await findings(session)).find((e) => e.type === 'no_face')!
    assert.isNotNull(noFace.snapshotPath, 'a finding comes with a snapshot')
  }).timeout(300_000)

  test('a corrupt chunk fails its job with a clear error while the session\'s other streams are processed', async ({ assert }) => {
    const plan: Segment[] = [{ what: 'own', seconds: 8 }]
    const { api, chunks, session } = await recordedStudent('plan-short', plan)
    await upload(api, chunks)
    await upload(api, [webmChunk(0, 50_000), webmChunk(1, 50_000)], 'screen', 'video/webm;codecs=vp8')
    await api.finish(1, { webcam: chunks.length, screen: 2 })
    await Job.query().where('type', 'process_session').update({ maxAttempts: 1 })
    await runDueJobs()

    const job = await Job.query().where({ type: 'process_session' }).whereRaw(`payload like ?`, [`%"sessionId":${session.id}%`]).firstOrFail()
    assert.equal(job.status, 'failed')
    assert.match(job.lastError ?? '', /screen #\d+: ffmpeg failed/)
    const recordings = await Recording.query().where('sessionId', session.id)
    assert.equal(recordings.find((r) => r.stream === 'webcam')!.status, 'ready')
    assert.equal(recordings.find((r) => r.stream === 'screen')!.status, 'failed')
  }).timeout(120_000)

  test('a worker killed with kill -9 mid-job: the next one resumes and no finding is written twice', async ({ assert }) => {
    const { api, chunks, video, session } = await recordedStudent('plan-a')
    await upload(api, chunks)
    await api.finish(1, { webcam: chunks.length })

    const first = WorkerProcess.start({ WORKER_LEASE_MS: '3000' })
    const running = await waitFor('a job to be under way', async () => Job.query().where('status', 'running').first(), 60_000)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    await first.kill()
    await running.refresh()
    assert.equal(running.status, 'running', 'the killed worker left its job leased')

    const second = WorkerProcess.start({ WORKER_LEASE_MS: '3000' })
    try {
      await waitFor('every job to be done', async () => {
        const left = await Job.query().whereIn('status', ['queued', 'running'])
        return left.length === 0
      }, 240_000)
    } finally {
      await second.stop()
    }
    assertPlanted(assert, await findings(session), video.speech)
  }).timeout(300_000)
})
