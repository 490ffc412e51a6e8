import { getFaceEngine, similarity } from './face_engine.js'
import type { Sample } from './findings.js'
import { videoFrames, type Frame } from '../transcode/frames.js'

/** What the previous window of a recording ended on. */
export type State = { last?: Sample; lastBox?: number[]; sinceCheck?: number; signature?: number[] }

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

/** One key frame in this many is looked at (the others only where something changed). */
const STRIDE = 4

/** Above this signature distance the face may be someone else: check it with the model. */
const SIGNATURE_CHANGE = 0.45

type Settings = {
  faceMatchMinSimilarity: number
  /** Head angles (degrees) past which a student is looking away. */
  lookingAwayYaw: number
  lookingAwayPitch: number
  identityEverySamples: number
  frameWidth: number
  frameHeight: number
}

/** The values of config/analysis.ts, for callers outside the app (bench/analysis). */
const DEFAULTS: Settings = {
  faceMatchMinSimilarity: 0.5,
  lookingAwayYaw: 40,
  lookingAwayPitch: 35,
  identityEverySamples: 30,
  frameWidth: 320,
  frameHeight: 240,
}

/**
 * The face samples of one window (a WebM file), with snapshots of the frames a finding may
 * start on. `reference` is the embedding of the student's ID photo; `state` what the
 * previous window ended on.
 *
 * Cost is what matters here (an exam-hour has 1800 key frames): one key frame in STRIDE is
 * looked at, and those skipped in between only when something changed across them, so a
 * boundary is still placed to within one key-frame interval (2 s). A face is compared with the ID
 * photo when it appears, when it moves, and every `identityEverySamples` samples; when the
 * verdict turns, the frames since the last comparison are compared too.
 */
export async function faceSamples(file: string, reference: number[] | null, state: State = {}, settings: Settings = DEFAULTS) {
  const engine = await getFaceEngine()
  const samples: Sample[] = state.last ? [state.last] : []
  const snapshots = new Map<number, Frame>()
  let lastBox = state.lastBox
  let sinceCheck = state.sinceCheck ?? 0
  let verdict: boolean | null = state.last?.mismatch ?? null
  let signature = state.signature
  /* Single-face frames since the last identity check; `sample` is missing for skipped frames. */
  let unchecked: { frame: Frame; sample?: Sample; box?: number[] }[] = []
  /* The box of the face found by the last call of analyseSkipped. */
  let lastDetectedBox: number[] | undefined
  let skipped: Frame[] = []
  let position = 0

  const detect = (frame: Frame, embeddings = false) =>
    engine.detect({ data: frame.data, width: frame.width, height: frame.height }, { embeddings })
  const isAway = (sample: Sample) =>
    sample.faces === 1 && (Math.abs(sample.yaw ?? 0) > settings.lookingAwayYaw || Math.abs(sample.pitch ?? 0) > settings.lookingAwayPitch)
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
      unchecked.push({ frame, sample, box: face.box })
      return sample
    }
    const now = await checkIdentity(frame)
    if (now !== null && verdict !== null && now !== verdict && unchecked.length && signature) {
      /*
       * The verdict turned since the last check. Which frames in between show the old face
       * and which the new one is told by their look (cheap), not by the model: a frame goes
       * with the face its signature is nearer to. Skipped frames are looked at only around
       * the turn.
       */
      const old = verdict
      const oldLook = signature
      const isNew = (frameLook: number[]) => signatureDistance(frameLook, look) < signatureDistance(frameLook, oldLook)
      let turn = unchecked.findIndex((entry) => entry.box && isNew(faceSignature(entry.frame, entry.box)))
      if (turn < 0) turn = unchecked.length
      let from = turn - 1
      while (from >= 0 && !unchecked[from].box) from--
      for (let i = Math.max(0, from + 1); i < turn; i++) {
        const entry = unchecked[i]
        entry.sample ??= samples.find((x) => x.t === entry.frame.t) ?? (await analyseSkipped(entry.frame))
        const box = lastDetectedBox
        if (entry.sample.faces === 1 && box && isNew(faceSignature(entry.frame, box))) {
          turn = i
          break
        }
      }
      for (const [i, entry] of unchecked.entries()) if (entry.sample) entry.sample.mismatch = i < turn ? old : now
      if (now && unchecked[turn]) snapshots.set(unchecked[turn].frame.t, unchecked[turn].frame)
    }
    if (now) snapshots.set(frame.t, frame)
    verdict = now
    signature = look
    sample.mismatch = now
    sinceCheck = 0
    unchecked = []
    return sample
  }

  /** A skipped frame looked at after all: its sample joins the others in time order. */
  const analyseSkipped = async (frame: Frame) => {
    const detection = await detect(frame)
    const face = detection.faces[0]
    lastDetectedBox = face?.box
    const sample: Sample = { t: frame.t, faces: detection.faces.length, yaw: face?.yaw, pitch: face?.pitch, mismatch: verdict }
    samples.push(sample)
    samples.sort((a, b) => a.t - b.t)
    return sample
  }

  for await (const frame of videoFrames(file, { width: settings.frameWidth, height: settings.frameHeight })) {
    if (state.last && frame.t <= state.last.t) continue
    if (position++ % STRIDE !== 0) {
      skipped.push(frame)
      if (samples.at(-1)?.faces === 1 && reference) unchecked.push({ frame })
      continue
    }
    const previous = samples.at(-1)
    const sample = await analyse(frame, previous)
    const changed = previous && (previous.faces !== sample.faces || isAway(previous) !== isAway(sample))
    if (changed) {
      /* Something changed across the skipped frames: look at them, to place the change. */
      let before = previous
      for (const between of skipped) {
        if (samples.some((s) => s.t === between.t)) continue
        const seen = await analyseSkipped(between)
        if (seen.faces !== before.faces) snapshots.set(between.t, between)
        before = seen
      }
    }
    skipped = []
    samples.push(sample)
    samples.sort((a, b) => a.t - b.t)
  }
  /* A window that ends on skipped frames looks at the last one, so the next window starts after it. */
  const tail = skipped.at(-1)
  if (tail && !samples.some((s) => s.t === tail.t)) await analyseSkipped(tail)
  return { samples, snapshots, lastBox, sinceCheck, signature }
}
