import { test } from '@japa/runner'
import env from '#start/env'
import Recording from '#models/recording'
import RecordingChunk from '#models/recording_chunk'
import ProctoringSession from '#models/proctoring_session'
import { dataDir } from '#config/paths'
import { chunkBytes } from '#services/chunk_files'
import { examWithCandidate } from '#tests/helpers/fixtures'
import { openStudentLink, studentApi } from '#tests/helpers/http'
import { bytesOnDisk, webmChunk } from '#tests/helpers/chunks'

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
  const chunks = await RecordingChunk.query().whereIn('recordingId', recordings.map((r) => r.id)).orderBy('seq')
  return { recordings: recordings.length, chunks, bytesOnDisk: await bytesOnDisk(session.publicId) }
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
    const stored = await storedChunks(session)
    assert.deepEqual([stored.recordings, stored.chunks.length, stored.bytesOnDisk], [0, 0, 0])
  })

  test('a real recording\'s first chunk and the chunks after it are still stored', async ({ assert }) => {
    const { api, session } = await startedStudent()
    const sent = [0, 1, 2].map((seq) => webmChunk(seq, 4000))
    for (const seq of [0, 1, 2]) {
      assert.equal((await api.uploadChunk('webcam', seq, sent[seq])).status, 201, `chunk ${seq}`)
    }
    const stored = await storedChunks(session)
    assert.deepEqual([stored.recordings, stored.chunks.length], [1, 3])
    for (const chunk of stored.chunks) assert.deepEqual(await chunkBytes(dataDir, chunk), sent[chunk.seq], `chunk ${chunk.seq}`)
    assert.equal(stored.bytesOnDisk, sent.reduce((sum, bytes) => sum + bytes.length, 0))
  })
})
