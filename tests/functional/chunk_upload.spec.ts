import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import env from '#start/env'
import Recording from '#models/recording'
import RecordingChunk from '#models/recording_chunk'
import ProctoringSession from '#models/proctoring_session'
import { dataDir } from '#config/paths'
import { chunkBytes } from '#services/chunk_files'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { WebClient, openStudentLink, sha256, studentApi } from '#tests/helpers/http'
import { bytesOnDisk, webmChunk } from '#tests/helpers/chunks'

const baseUrl = () => env.get('APP_URL')

async function startedStudent() {
  const { link } = await examWithCandidate()
  const student = await openStudentLink(baseUrl(), link)
  const api = studentApi(baseUrl(), student)
  const started = await api.startAttempt()
  if (started.status !== 201) throw new Error(`start answered ${started.status}`)
  const session = await ProctoringSession.findByOrFail('publicId', student.sessionId)
  return { student, api, session }
}

async function chunksOf(session: ProctoringSession, stream = 'webcam') {
  const recording = await Recording.query().where({ sessionId: session.id, stream }).first()
  if (!recording) return { recording: null, chunks: [] as RecordingChunk[] }
  const chunks = await RecordingChunk.query().where('recordingId', recording.id).orderBy('seq')
  return { recording, chunks }
}


test.group('Recording chunks', () => {
  test('a chunk is stored byte for byte and acknowledged with its checksum', async ({ assert }) => {
    const { api, session } = await startedStudent()
    const body = webmChunk(0, 50_000)
    const response = await api.uploadChunk('webcam', 0, body)
    assert.equal(response.status, 201)
    const ack = await response.json()
    assert.deepEqual(ack, { stored: true, duplicate: false, seq: 0, sha256: sha256(body) })

    const { recording, chunks } = await chunksOf(session)
    assert.equal(recording!.chunkCount, 1)
    assert.equal(recording!.bytes, body.length)
    assert.deepEqual(await chunkBytes(dataDir, chunks[0]), body)
  })

  test('a chunk sent twice is stored once', async ({ assert }) => {
    const { api, session } = await startedStudent()
    const body = webmChunk(0, 20_000)
    assert.equal((await api.uploadChunk('webcam', 0, body)).status, 201)
    const again = await api.uploadChunk('webcam', 0, body)
    assert.equal(again.status, 200)
    assert.isTrue((await again.json()).duplicate)

    const { recording, chunks } = await chunksOf(session)
    assert.lengthOf(chunks, 1)
    assert.equal(recording!.chunkCount, 1)
    assert.equal(recording!.bytes, body.length)
    assert.equal(await bytesOnDisk(session.publicId), body.length, 'its bytes are on disk once')
  })

  test('chunks arriving out of order play back in order', async ({ assert }) => {
    const { api, session } = await startedStudent()
    const parts = [webmChunk(0, 7000), webmChunk(1, 9000), webmChunk(2, 8000)]
    for (const seq of [2, 0, 1]) assert.equal((await api.uploadChunk('screen', seq, parts[seq])).status, 201)

    const { user, password } = await staffUser('proctor')
    const proctor = new WebClient(baseUrl())
    await proctor.login(user.email, password)
    const { recording } = await chunksOf(session, 'screen')
    const media = await proctor.request(`/staff/recordings/${recording!.id}/media`)
    assert.equal(media.status, 200)
    assert.deepEqual(Buffer.from(await media.arrayBuffer()), Buffer.concat(parts))

    const ranged = await proctor.request(`/staff/recordings/${recording!.id}/media`, { headers: { range: 'bytes=6990-7009' } })
    assert.equal(ranged.status, 206)
    assert.equal(ranged.headers.get('content-range'), `bytes 6990-7009/24000`)
    assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), Buffer.concat(parts).subarray(6990, 7010))
  })

  test('a chunk whose checksum does not match is refused and not stored', async ({ assert }) => {
    const { api, session } = await startedStudent()
    const response = await api.uploadChunk('webcam', 0, randomBytes(1000), { sha: sha256(Buffer.from('other')) })
    assert.equal(response.status, 422)
    const { error } = await response.json()
    assert.equal(error.code, 'CHUNK_CHECKSUM_MISMATCH')
    assert.include(error.message, 'checksum')
    assert.lengthOf((await chunksOf(session)).chunks, 0)
    assert.equal(await bytesOnDisk(session.publicId), 0)
  })

  test('a refused chunk between stored ones leaves their bytes as they were', async ({ assert }) => {
    const { api, session } = await startedStudent()
    const [first, second] = [webmChunk(0, 30_000), webmChunk(1, 20_000)]
    assert.equal((await api.uploadChunk('webcam', 0, first)).status, 201)
    const refused = await api.uploadChunk('webcam', 1, webmChunk(1, 25_000), { sha: sha256(Buffer.from('other')) })
    assert.equal(refused.status, 422)
    assert.equal(await bytesOnDisk(session.publicId), first.length, 'the refused bytes were cut off again')
    assert.equal((await api.uploadChunk('webcam', 1, second)).status, 201)

    const { chunks } = await chunksOf(session)
    assert.deepEqual(await Promise.all(chunks.map((chunk) => chunkBytes(dataDir, chunk))), [first, second])
    assert.equal(await bytesOnDisk(session.publicId), first.length + second.length)
  })

  test('an oversize chunk is refused with CHUNK_TOO_LARGE and not stored', async ({ assert }) => {
    const { api, session } = await startedStudent()
    const tooBig = randomBytes(env.get('CHUNK_MAX_BYTES', 16 * 1024 * 1024) + 1)
    const response = await api.uploadChunk('webcam', 0, tooBig)
    assert.equal(response.status, 413)
    assert.equal((await response.json()).error.code, 'CHUNK_TOO_LARGE')
    assert.lengthOf((await chunksOf(session)).chunks, 0)
    assert.equal(await bytesOnDisk(session.publicId), 0)
  })

  test('a chunk of the wrong type is refused with CHUNK_TYPE_INVALID, in the student\'s language', async ({ assert }) => {
    const { api, session } = await startedStudent()
    const response = await api.uploadChunk('webcam', 0, randomBytes(100), { type: 'application/pdf', language: 'kk' })
    assert.equal(response.status, 415)
    const { error } = await response.json()
    assert.equal(error.code, 'CHUNK_TYPE_INVALID')
    assert.include(error.message, 'Жазба пішімі қолдау көрсетілмейді')
    assert.lengthOf((await chunksOf(session)).chunks, 0)
  })

  test('an unknown stream and a missing attempt are refused with their codes', async ({ assert }) => {
    const { api } = await startedStudent()
    const stream = await api.uploadChunk('microwave', 0, randomBytes(100))
    assert.equal((await stream.json()).error.code, 'CHUNK_STREAM_INVALID')
    const attempt = await api.uploadChunk('webcam', 0, randomBytes(100), { attempt: 7 })
    assert.equal((await attempt.json()).error.code, 'ATTEMPT_NOT_FOUND')
  })

  test('a token of another session is refused with SESSION_TOKEN_INVALID and stores nothing', async ({ assert }) => {
    const mine = await startedStudent()
    const other = await startedStudent()
    const response = await mine.api.uploadChunk('webcam', 0, randomBytes(1000), { token: other.student.token, language: 'ru' })
    assert.equal(response.status, 403)
    const { error } = await response.json()
    assert.equal(error.code, 'SESSION_TOKEN_INVALID')
    assert.equal(error.message, 'У вас нет доступа к этой сессии.')
    assert.lengthOf((await chunksOf(mine.session)).chunks, 0)
    assert.lengthOf((await chunksOf(other.session)).chunks, 0)
  })

  test('finishing records the chunk totals and ends the session', async ({ assert }) => {
    const { api, session } = await startedStudent()
    await api.uploadChunk('webcam', 0, webmChunk(0, 500))
    const response = await api.finish(1, { webcam: 1 })
    assert.equal(response.status, 200)
    await session.refresh()
    assert.equal(session.status, 'finished')
    assert.equal(session.endReason, 'finished_by_student')
    const { recording } = await chunksOf(session)
    assert.equal(recording!.expectedChunks, 1)
  })
})
