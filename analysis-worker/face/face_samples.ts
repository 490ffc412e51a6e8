import { getFaceEngine, similarity } from './face_engine.js'
import type { Sample } from './findings.js'
import { videoFrames, type Frame } from '../transcode/frames.js'

/** What the previous window of a recording ended on. */
export type State = { last?: Sample; lastCheckT?: number; lastBox?: number[]; sinceCheck?: number }

type Settings = {
  faceMatchMinSimilarity: number
  identityEverySamples: number
  frameWidth: number
  frameHeight: number
}

const DEFAULTS: Settings = { faceMatchMinSimilarity: 0.5, identityEverySamples: 10, frameWidth: 320, frameHeight: 240 }

/**
 * The face samples of one window (a WebM file), with snapshots of the frames a finding may
 * start on. `reference` is the embedding of the student's ID photo; `state` what the
 * previous window ended on.
 */
export async function faceSamples(file: string, reference: number[] | null, state: State = {}, settings: Settings = DEFAULTS) {
  const engine = await getFaceEngine()
  const samples: Sample[] = state.last ? [state.last] : []
  const snapshots = new Map<number, Frame>()
  let lastBox = state.lastBox
  let lastCheckT = state.lastCheckT
  let sinceCheck = state.sinceCheck ?? 0
  let verdict: boolean | null = state.last?.mismatch ?? null
  const unchecked: { frame: Frame; sample: Sample }[] = []

  const checkIdentity = async (frame: Frame) => {
    const detection = await engine.detect({ data: frame.data, width: frame.width, height: frame.height }, { embeddings: true })
    const embedding = detection.faces[0]?.embedding
    return embedding && reference ? similarity(embedding, reference) < settings.faceMatchMinSimilarity : null
  }

  for await (const frame of videoFrames(file, { width: settings.frameWidth, height: settings.frameHeight })) {
    if (state.last && frame.t <= state.last.t) continue
    const detection = await engine.detect({ data: frame.data, width: frame.width, height: frame.height })
    const face = detection.faces[0]
    const sample: Sample = { t: frame.t, faces: detection.faces.length, yaw: face?.yaw, pitch: face?.pitch, mismatch: null }
    const previous = samples.at(-1)
    if (!previous || previous.faces !== sample.faces) snapshots.set(frame.t, frame)

    if (sample.faces === 1 && reference) {
      const moved = lastBox ? Math.abs(face.box[0] - lastBox[0]) + Math.abs(face.box[1] - lastBox[1]) > face.box[2] * 0.5 : true
      const due = moved || previous?.faces !== 1 || sinceCheck >= settings.identityEverySamples
      if (due) {
        const now = await checkIdentity(frame)
        /* The verdict changed since the last check: look back at the frames in between. */
        if (now !== null && verdict !== null && now !== verdict && unchecked.length) {
          for (const earlier of unchecked) {
            earlier.sample.mismatch = await checkIdentity(earlier.frame)
            if (earlier.sample.mismatch) snapshots.set(earlier.frame.t, earlier.frame)
          }
        }
        if (now) snapshots.set(frame.t, frame)
        verdict = now
        sample.mismatch = now
        sinceCheck = 0
        lastCheckT = frame.t
        unchecked.length = 0
      } else {
        sample.mismatch = verdict
        sinceCheck++
        unchecked.push({ frame, sample })
        if (unchecked.length > settings.identityEverySamples) unchecked.shift()
      }
      lastBox = face.box
    } else {
      unchecked.length = 0
      lastBox = face?.box
    }
    samples.push(sample)
  }
  /* The first frame of every change is kept for snapshots; the rest go. */
  return { samples, snapshots, lastBox, lastCheckT, sinceCheck }
}

