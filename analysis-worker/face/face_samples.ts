import { getFaceEngine, similarity } from './face_engine.js'
import type { Sample } from './findings.js'
import { videoFrames, type Frame } from '../transcode/frames.js'

/** What the previous window of a recording ended on. */
export type State = { last?: Sample; lastCheckT?: number; lastBox?: number[]; sinceCheck?: number; signature?: number[] }

/**
 * A face's look in 64 numbers (8x8 grey, normalised): two crops of the same face stay close,
 * another person's face does not. Costs microseconds; decides when the (costly) identity
 * check with the face model is due.
 */
export function faceSignature(frame: Frame, box: number[]) {
  const [x0, y0, w, h] = box.map(Math.round)
  const values: number[] = []
  for (let gy = 0; gy < 8; gy++) {
    for (let gx = 0; gx < 8; gx++) {
      const x = Math.min(frame.width - 1, Math.max(0, x0 + Math.floor(((gx + 0.5) * w) / 8)))
      const y = Math.min(frame.height - 1, Math.max(0, y0 + Math.floor(((gy + 0.5) * h) / 8)))
      const i = (y * frame.width + x) * 3
      values.push(0.299 * frame.data[i] + 0.587 * frame.data[i + 1] + 0.114 * frame.data[i + 2])
    }
  }
  const mean = values.reduce((a, b) => a + b, 0) / values.length
  const spread = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length) || 1
  return values.map((v) => (v - mean) / spread)
}

function signatureDistance(a: number[], b: number[]) {
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i])
  return sum / a.length
}

/** Above this signature distance the face may be someone else: check it with the model. */
const SIGNATURE_CHANGE = 0.45

type Settings = {
  faceMatchMinSimilarity: number
  identityEverySamples: number
  frameWidth: number
  frameHeight: number
}

/** Head angles (degrees) past which a student is looking away; see config/analysis.ts. */
const LOOKING_AWAY = { yaw: 40, pitch: 35 }

const DEFAULTS: Settings = { faceMatchMinSimilarity: 0.5, identityEverySamples: 10, frameWidth: 320, frameHeight: 240 }

/**
 * The face samples of one window (a WebM file), with snapshots of the frames a finding may
 * start on. `reference` is the embedding of the student's ID photo; `state` what the
 * previous window ended on.
 *
 * Cost is what matters here (an exam-hour has 1800 key frames): every other key frame is
 * looked at, and the one skipped in between only when something changed across it, so a
 * boundary is still placed to within one key-frame interval. A face is compared with the ID
 * photo when it appears, when it moves, and every `identityEverySamples` samples; when the
 * verdict turns, the frames since the last comparison are compared too.
 */
export async function faceSamples(file: string, reference: number[] | null, state: State = {}, settings: Settings = DEFAULTS) {
  const engine = await getFaceEngine()
  const samples: Sample[] = state.last ? [state.last] : []
  const snapshots = new Map<number, Frame>()
  let lastBox = state.lastBox
  let lastCheckT = state.lastCheckT
  let sinceCheck = state.sinceCheck ?? 0
  let verdict: boolean | null = state.last?.mismatch ?? null
  let signature = state.signature
  /* Single-face frames since the last identity check; `sample` is missing for skipped frames. */
  let unchecked: { frame: Frame; sample?: Sample }[] = []
  let skipped: Frame | null = null
  let parity = 0

  const detect = (frame: Frame, embeddings = false) =>
    engine.detect({ data: frame.data, width: frame.width, height: frame.height }, { embeddings })
  const isAway = (sample: Sample) =>
    sample.faces === 1 && (Math.abs(sample.yaw ?? 0) > LOOKING_AWAY.yaw || Math.abs(sample.pitch ?? 0) > LOOKING_AWAY.pitch)
  const checkIdentity = async (frame: Frame) => {
    const embedding = (await detect(frame, true)).faces[0]?.embedding
    return embedding && reference ? similarity(embedding, reference) < settings.faceMatchMinSimilarity : null
  }

  /** One frame: faces and head angles, and the identity verdict (checked or carried over). */
  const analyse = async (frame: Frame, previous: Sample | undefined) => {
    const detection = await detect(frame)
    const face = detection.faces[0]
    const sample: Sample = { t: frame.t, faces: detection.faces.length, yaw: face?.yaw, pitch: face?.pitch, mismatch: null }
    if (!previous || previous.faces !== sample.faces) snapshots.set(frame.t, frame)
    if (sample.faces !== 1 || !reference) {
      unchecked = []
      lastBox = face?.box
      return sample
    }
    const moved = lastBox ? Math.abs(face.box[0] - lastBox[0]) + Math.abs(face.box[1] - lastBox[1]) > face.box[2] * 0.5 : true
    lastBox = face.box
    const look = faceSignature(frame, face.box)
    const changed = !signature || signatureDistance(look, signature) > SIGNATURE_CHANGE
    if (!(moved || changed || previous?.faces !== 1 || sinceCheck >= settings.identityEverySamples)) {
      sample.mismatch = verdict
      sinceCheck++
      unchecked.push({ frame, sample })
      return sample
    }
    const now = await checkIdentity(frame)
    if (now !== null && verdict !== null && now !== verdict && unchecked.length) {
      /* The verdict turned since the last check: find where by halving the frames in between. */
      const old = verdict
      const probe = async (entry: (typeof unchecked)[number]) => {
        entry.sample ??= samples.find((s) => s.t === entry.frame.t) ?? (await analyseSkipped(entry.frame))
        return (await checkIdentity(entry.frame)) ?? old
      }
      let low = 0
      let high = unchecked.length
      while (low < high) {
        const middle = (low + high) >> 1
        if ((await probe(unchecked[middle])) === old) low = middle + 1
        else high = middle
      }
      for (const [i, entry] of unchecked.entries()) if (entry.sample) entry.sample.mismatch = i < low ? old : now
      if (now && unchecked[low]) snapshots.set(unchecked[low].frame.t, unchecked[low].frame)
    }
    if (now) snapshots.set(frame.t, frame)
    verdict = now
    signature = look
    sample.mismatch = now
    sinceCheck = 0
    lastCheckT = frame.t
    unchecked = []
    return sample
  }

  /** A skipped frame looked at after all: its sample joins the others in time order. */
  const analyseSkipped = async (frame: Frame) => {
    const detection = await detect(frame)
    const face = detection.faces[0]
    const sample: Sample = { t: frame.t, faces: detection.faces.length, yaw: face?.yaw, pitch: face?.pitch, mismatch: verdict }
    samples.push(sample)
    samples.sort((a, b) => a.t - b.t)
    return sample
  }

  for await (const frame of videoFrames(file, { width: settings.frameWidth, height: settings.frameHeight })) {
    if (state.last && frame.t <= state.last.t) continue
    if (parity++ % 2 === 1) {
      skipped = frame
      if (samples.at(-1)?.faces === 1 && reference) unchecked.push({ frame })
      continue
    }
    const previous = samples.at(-1)
    const sample = await analyse(frame, previous)
    if (skipped && previous && !samples.some((s) => s.t === skipped!.t)) {
      const changed = previous.faces !== sample.faces || isAway(previous) !== isAway(sample)
      if (changed) {
        const between = await analyseSkipped(skipped)
        if (between.faces !== previous.faces) snapshots.set(skipped.t, skipped)
      }
    }
    skipped = null
    samples.push(sample)
    samples.sort((a, b) => a.t - b.t)
  }
  /* A window that ends on a skipped frame looks at it, so the next window starts after it. */
  if (skipped && !samples.some((s) => s.t === skipped!.t)) await analyseSkipped(skipped)
  return { samples, snapshots, lastBox, lastCheckT, sinceCheck, signature }
}
