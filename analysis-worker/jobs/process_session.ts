import { dirname, join, relative } from 'node:path'
import { rm } from 'node:fs/promises'
import { DateTime } from 'luxon'
import Recording from '#models/recording'
import RecordingChunk from '#models/recording_chunk'
import ProctoringSession from '#models/proctoring_session'
import { dataDir } from '#config/paths'
import { RetryLater } from '../queue.js'
import { concatenate, encode, probeDuration, remux, thumbnail } from '../transcode/remux.js'
import { recordingFormat } from '../transcode/input.js'
import { analyseRecording } from './analyse_recording.js'
import { computeCredibility } from '#actions/reviews/compute_credibility'

/** How long to wait for chunks still sitting in a student's browser before going on without them. */
const MISSING_CHUNK_GRACE_MINUTES = 30

type Progress = (percent: number) => Promise<unknown>

/**
 * After an exam: each recording (attempt x stream) becomes one seekable file. A recording
 * whose chunks are not all in yet waits; a broken one fails alone, the others go on.
 */
export async function processSession(payload: { sessionId: number }, progress: Progress) {
  const session = await ProctoringSession.findOrFail(payload.sessionId)
  const recordings = await Recording.query().where('sessionId', session.id).orderBy('id')
  const failures: string[] = []
  let done = 0
  for (const recording of recordings) {
    try {
      if (recording.status !== 'ready') await processRecording(session, recording)
      /* The last window of the analysis (most of it ran while the exam went on). */
      await analyseRecording({ recordingId: recording.id })
    } catch (error) {
      if (error instanceof RetryLater) throw error
      if (recording.status !== 'ready') {
        recording.status = 'failed'
        await recording.save()
      }
      failures.push(`${recording.stream} #${recording.id}: ${(error as Error).message}`)
    }
    await progress(Math.round((100 * ++done) / Math.max(1, recordings.length)))
  }
  await computeCredibility(session.id)
  if (failures.length) throw new Error(failures.join('\n'))
}

async function processRecording(session: ProctoringSession, recording: Recording) {
  const chunks = await RecordingChunk.query().where('recordingId', recording.id).orderBy('seq')
  const missing = (recording.expectedChunks ?? chunks.length) - chunks.length
  const endedMinutesAgo = session.endedAt ? -session.endedAt.diffNow('minutes').minutes : 0
  if (missing > 0 && endedMinutesAgo < MISSING_CHUNK_GRACE_MINUTES) {
    throw new RetryLater(15_000, `${missing} chunk(s) of ${recording.stream} still to arrive`)
  }
  if (chunks.length === 0) throw new Error('no chunks were uploaded')

  recording.status = 'processing'
  await recording.save()
  /* Beside the attempt's chunk folders: recordings/<session>/attempt-N/<stream>.webm */
  const folder = join(dataDir, dirname(dirname(chunks[0].path)))
  /* The container is read from the first chunk's bytes, never guessed by ffmpeg nor taken from the label. */
  const format = await recordingFormat(chunks[0])
  const extension = format === 'mp4' ? 'mp4' : 'webm'
  const source = join(folder, `${recording.stream}.source.${extension}`)
  let target = join(folder, `${recording.stream}.${extension}`)
  try {
    await concatenate(chunks, source)
    try {
      await remux(source, format, target)
    } catch (copyError) {
      /* The stream could not be copied as it is: re-encode it (GPU encoder where there is one). */
      target = join(folder, `${recording.stream}.mp4`)
      await encode(source, format, target).catch((encodeError) => {
        throw new Error(`${(copyError as Error).message}\nre-encoding failed too: ${(encodeError as Error).message.split('\n')[0]}`)
      })
    }
  } finally {
    await rm(source, { force: true })
  }
  const duration = await probeDuration(target)
  if (recording.stream !== 'phone' || duration) {
    await thumbnail(target, join(folder, `${recording.stream}.jpg`), Math.min(1, (duration ?? 0) / 2)).catch(() => undefined)
  }
  recording.filePath = relative(dataDir, target)
  recording.durationSeconds = duration
  recording.status = 'ready'
  recording.updatedAt = DateTime.now()
  await recording.save()
}
