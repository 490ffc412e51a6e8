import { mkdir, rm, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import jpeg from 'jpeg-js'
import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import Attempt from '#models/attempt'
import IdentityCheck from '#models/identity_check'
import ProctoringEvent from '#models/proctoring_event'
import Recording from '#models/recording'
import RecordingChunk from '#models/recording_chunk'
import analysis from '#config/analysis'
import { dataDir } from '#config/paths'
import { FACE_FINDINGS, rangesOf, type Range } from '../face/findings.js'
import type { Frame } from '../transcode/frames.js'
import { faceSamples, type State } from '../face/face_samples.js'
import { windowFile, windowPath } from '../transcode/window.js'
import { RecordingError, recordingFormat } from '../transcode/input.js'
import { audioStartSeconds, detectVoice } from '../voice/voice_findings.js'
import { computeCredibility } from '#actions/reviews/compute_credibility'


const LIMITS = { yaw: analysis.lookingAwayYaw, pitch: analysis.lookingAwayPitch }
/** Gaps up to this long (seconds) between two pieces of one finding are closed. */
const MERGE_GAP = { face: 2.5, voice: 1.0 }

/**
 * A3 + A4 for the chunks of a webcam recording not analysed yet: one window, from the first
 * new chunk to the last one stored. Findings are merged with those of earlier windows, and
 * the window's results and the recording's progress are written in one transaction, so a
 * worker killed half-way leaves nothing behind and the retry writes each finding once.
 */
export async function analyseRecording(payload: { recordingId: number }) {
  const recording = await Recording.findOrFail(payload.recordingId)
  if (recording.stream !== 'webcam') return
  const chunks = await RecordingChunk.query().where('recordingId', recording.id).orderBy('seq')
  /* Only a gap-free run of chunks from the start can be decoded. */
  let contiguous = 0
  while (contiguous < chunks.length && chunks[contiguous].seq === contiguous) contiguous++
  if (contiguous <= recording.analysedChunks) return

  const gapFree = chunks.slice(0, contiguous)
  const folder = join(dataDir, dirname(dirname(gapFree[0].path)))
  /* Windows are cut from WebM clusters; the first chunk's bytes say whether there are any. */
  if ((await recordingFormat(gapFree[0])) !== 'matroska') {
    throw new RecordingError('RECORDING_CONTAINER_INVALID', 'only WebM/Matroska webcam recordings are analysed')
  }
  const file = await windowFile(gapFree, recording.analysedChunks, windowPath(folder, recording.id))
  try {
    const state: State = recording.analysisState ?? {}
    const reference = await referenceEmbedding(recording.sessionId)
    const { samples, snapshots, lastBox, sinceCheck, signature } = await faceSamples(file, reference, state, analysis)
    const voice = await detectVoice(file, await audioStartSeconds(file))
    const fromSeconds = recording.analysedSeconds
    const faceRanges = FACE_FINDINGS.flatMap((type) => rangesOf(samples, type, LIMITS, type === 'looking_away' ? 2 : 1))
    const voiceRanges = voice.filter((r) => r.end > fromSeconds - MERGE_GAP.voice).map((r) => ({ type: 'voice_detected', ...r }))
    const last = samples.at(-1)
    const analysedSeconds = Math.max(fromSeconds, last?.t ?? 0, voice.at(-1)?.end ?? 0)

    const attempt = await Attempt.findOrFail(recording.attemptId)
    /* Snapshot files first: the transaction below must not wait on anything else. */
    const snapshotPaths = new Map<Range, string>()
    for (const range of faceRanges) {
      const frame = snapshots.get(samples[range.firstSample].t)
      if (frame) snapshotPaths.set(range, await saveSnapshot(folder, recording, range.type, range.start, frame))
    }
    await db.transaction(async (trx) => {
      for (const range of faceRanges) {
        await mergeFinding(trx, recording, attempt, range, MERGE_GAP.face, snapshotPaths.get(range))
      }
      for (const range of voiceRanges) await mergeFinding(trx, recording, attempt, range, MERGE_GAP.voice)
      await trx
        .from('recordings')
        .where('id', recording.id)
        .update({
          analysed_chunks: contiguous,
          analysed_seconds: analysedSeconds,
          analysis_state: JSON.stringify({ last, lastBox, sinceCheck, signature } satisfies State),
        })
    })
    await computeCredibility(recording.sessionId)
    logger.info({ recording: recording.id, chunks: contiguous, seconds: analysedSeconds }, 'recording window analysed')
  } finally {
    await rm(file, { force: true })
  }
}

/** The embedding of the student's accepted ID face photo (S4), if there is one. */
async function referenceEmbedding(sessionId: number) {
  const check = await IdentityCheck.query().where({ sessionId, kind: 'face', result: 'accepted' }).orderBy('id', 'desc').first()
  const embedding = check?.details?.embedding
  return Array.isArray(embedding) && embedding.length ? (embedding as number[]) : null
}

/** Adds a finding, or stretches the same kind of finding it continues. */
async function mergeFinding(
  trx: any,
  recording: Recording,
  attempt: Attempt,
  range: Omit<Range, 'firstSample'> & { firstSample?: number },
  gap: number,
  snapshotPath?: string
) {
  const existing = await ProctoringEvent.query({ client: trx })
    .where({ recordingId: recording.id, type: range.type, source: 'analysis' })
    .where('offsetEnd', '>=', range.start - gap)
    .where('offsetStart', '<=', range.end + gap)
    .orderBy('offsetEnd', 'desc')
    .first()
  const at = (seconds: number) => attempt.startedAt.plus({ milliseconds: Math.round(seconds * 1000) })
  if (existing) {
    existing.offsetStart = Math.min(existing.offsetStart ?? range.start, range.start)
    existing.offsetEnd = Math.max(existing.offsetEnd ?? range.end, range.end)
    existing.startedAt = at(existing.offsetStart)
    existing.endedAt = at(existing.offsetEnd)
    await existing.useTransaction(trx).save()
    return
  }
  await ProctoringEvent.create(
    {
      sessionId: recording.sessionId,
      attemptId: recording.attemptId,
      recordingId: recording.id,
      type: range.type,
      source: 'analysis',
      isViolation: true,
      startedAt: at(range.start),
      endedAt: at(range.end),
      offsetStart: range.start,
      offsetEnd: range.end,
      snapshotPath: snapshotPath ?? null,
      details: null,
    },
    { client: trx }
  )
}

async function saveSnapshot(folder: string, recording: Recording, type: string, start: number, frame: Frame) {
  const rgba = new Uint8Array(frame.width * frame.height * 4)
  for (let i = 0, j = 0; i < frame.data.length; i += 3, j += 4) {
    rgba[j] = frame.data[i]
    rgba[j + 1] = frame.data[i + 1]
    rgba[j + 2] = frame.data[i + 2]
    rgba[j + 3] = 255
  }
  const image = jpeg.encode({ data: rgba, width: frame.width, height: frame.height }, 80)
  const path = join(folder, 'snapshots', `${recording.stream}-${type}-${start.toFixed(1)}.jpg`)
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, image.data)
  return relative(dataDir, path)
}
