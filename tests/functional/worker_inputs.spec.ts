import { test } from '@japa/runner'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import env from '#start/env'
import Job from '#models/job'
import Recording from '#models/recording'
import RecordingChunk from '#models/recording_chunk'
import ProctoringSession from '#models/proctoring_session'
import { dataDir, recordingsDir } from '#config/paths'
import { examWithCandidate } from '#tests/helpers/fixtures'
import { openStudentLink, studentApi } from '#tests/helpers/http'
import { webmChunk } from '#tests/helpers/chunks'
import { runDueJobs } from '#tests/helpers/jobs'
import { videoFrames } from '#worker/transcode/frames'
import { decodeAudio } from '#worker/voice/vad'

const run = promisify(execFile)
const baseUrl = () => env.get('APP_URL')

/**
 * A video file on the server (another student's recording, as a .mkv: ffmpeg's HLS reader
 * takes .mkv and .mp4 among others): what a forged chunk would pull in.
 */
async function someoneElsesRecording() {
  const file = join(recordingsDir, 'someone-else', 'attempt-1', 'webcam.mkv')
  await mkdir(dirname(file), { recursive: true })
  if (!existsSync(file)) {
    await run('ffmpeg', [
      '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10', '-f', 'lavfi', '-i', 'sine=frequency=440',
      '-t', '4', '-c:v', 'libvpx', '-c:a', 'libopus', file,
    ])
  }
  return file
}

/** An HLS playlist that names a local file: ffmpeg left to guess the format reads that file instead. */
function playlistNaming(file: string) {
  return Buffer.from(`#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n${file}\n#EXT-X-ENDLIST\n`)
}

test.group('Worker inputs', () => {
  test('the worker never lets a chunk pull another file into a recording', async ({ assert }) => {
    const secret = await someoneElsesRecording()
    const { link } = await examWithCandidate({ examUrl: null })
    const student = await openStudentLink(baseUrl(), link)
    const api = studentApi(baseUrl(), student)
    await api.startAttempt()
    assert.equal((await api.uploadChunk('webcam', 0, webmChunk(0, 2000))).status, 201)
    const session = await ProctoringSession.findByOrFail('publicId', student.sessionId)
    const recording = await Recording.query().where({ sessionId: session.id, stream: 'webcam' }).firstOrFail()
    const chunk = await RecordingChunk.query().where('recordingId', recording.id).firstOrFail()

    /* Put there behind the upload check's back, as a chunk stored before it existed could be. */
    await writeFile(join(dataDir, chunk.path), playlistNaming(secret))
    await api.finish(1, { webcam: 1 })
    await Job.query().where('type', 'process_session').update({ maxAttempts: 1 })
    await runDueJobs()

    await recording.refresh()
    assert.equal(recording.status, 'failed')
    assert.isNull(recording.filePath)
    const job = await Job.query().where('type', 'process_session').whereRaw('payload like ?', [`%"sessionId":${session.id}%`]).firstOrFail()
    assert.equal(job.status, 'failed')
    assert.match(job.lastError ?? '', /webcam #\d+: RECORDING_CONTAINER_INVALID/)
    const folder = dirname(dirname(join(dataDir, chunk.path)))
    assert.notIncludeMembers(await readdir(folder), ['webcam.webm', 'webcam.mp4', 'webcam.jpg'], 'no recording file was made from the playlist')

    /* The analysis' own readers (key frames, audio) read a window file as WebM and nothing else. */
    const window = join(folder, '.analysis-forged.webm')
    await writeFile(window, playlistNaming(secret))
    const frames = async () => {
      for await (const frame of videoFrames(window, { width: 64, height: 48 })) return frame
    }
    await assert.rejects(frames, /ffmpeg could not decode/)
    await assert.rejects(() => decodeAudio(window), /ffmpeg failed to decode/)
  }).timeout(120_000)
})
