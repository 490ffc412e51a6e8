import { test } from '@japa/runner'
import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import env from '#start/env'
import Recording from '#models/recording'
import RecordingChunk from '#models/recording_chunk'
import ProctoringSession from '#models/proctoring_session'
import { recordingsDir } from '#config/paths'
import { examWithCandidate } from '#tests/helpers/fixtures'
import { openStudentLink, studentApi } from '#tests/helpers/http'
import { webmChunk } from '#tests/helpers/chunks'

const baseUrl = () => env.get('APP_URL')

/** The probe's 130-byte "webcam chunk": an HLS playlist that has ffmpeg read a server file. */
const PLAYLIST = Buffer.from(
  '#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n/var/lib/proctor/recordings/6a1f0c2e-9b47-4d1c-8/attempt-1/webcam.mkv\n#EXT-X-ENDLIST\n'
)

async function startedStudent() {
  const { link } = await examWithCandidate()
  const student = await openStudentLink(baseUrl(), link)
  const api = studentApi(baseUrl(), student)
  if ((await api.startAttempt()).status !== 201) throw new Error('the attempt did not start')
  const session = await ProctoringSession.findByOrFail('publicId', student.sessionId)
  return { api, session }
}

async function storedChunks(session: ProctoringSession) {
  const recordings = await Recording.query().where('sessionId', session.id)
  const chunks = await RecordingChunk.query().whereIn('recordingId', recordings.map((r) => r.id))
  const dir = join(recordingsDir, session.publicId)
  const files = existsSync(dir)
    ? (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name)
    : []
  return { recordings: recordings.length, chunks: chunks.length, files }
}

test.group('Chunk containers at upload', () => {
  test('a playlist posing as a webcam chunk is refused and stores nothing', async ({ assert }) => {
    assert.equal(PLAYLIST.length, 130)
    const { api, session } = await startedStudent()
    for (const seq of [0, 5]) {
      const response = await api.uploadChunk('webcam', seq, PLAYLIST, { type: 'video/webm', language: 'ru' })
      assert.equal(response.status, 415, `chunk ${seq}`)
      const { error } = await response.json()
      assert.equal(error.code, 'CHUNK_CONTAINER_INVALID')
      assert.include(error.message, 'не сохранён')
    }
    assert.deepEqual(await storedChunks(session), { recordings: 0, chunks: 0, files: [] })
  })

  test('a real recording\'s first chunk and the chunks after it are still stored', async ({ assert }) => {
    const { api, session } = await startedStudent()
    for (const seq of [0, 1, 2]) {
      assert.equal((await api.uploadChunk('webcam', seq, webmChunk(seq, 4000))).status, 201, `chunk ${seq}`)
    }
    assert.deepEqual(await storedChunks(session), { recordings: 1, chunks: 3, files: ['000000.chunk', '000001.chunk', '000002.chunk'] })
  })
})
