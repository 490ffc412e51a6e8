import { createRequire } from 'node:module'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type * as tfjs from '@tensorflow/tfjs'
import type { Config, FaceResult, Human } from '@vladmandic/human'
import {
  decodeImage,
  grayRegion,
  laplacianVariance,
  mean,
  shrink,
  toRgb,
  type RawImage,
  type RgbImage,
} from './image.js'

export { ImageDecodeError, type RawImage } from './image.js'

/**
 * Face detection, head angles and face embeddings on the server, for the web app (is this ID
 * photo usable?) and the analysis worker (how many faces are in each sampled frame?).
 *
 * Built on @vladmandic/human with the models that ship inside that package, on the tfjs
 * WebAssembly backend (one core, no native code, nothing fetched at run time). When the native
 * @tensorflow/tfjs-node-gpu is installed and finds a GPU, Human's tfjs-node-gpu build is used
 * instead; the choice is made once, at the first use, and logged.
 */

export type Box = [x: number, y: number, width: number, height: number]

export interface DetectedFace {
  /** In pixels of the image as given (upright, after any EXIF rotation). */
  box: Box
  /** 0-1. */
  score: number
  /** 1024 numbers: compare two with `similarity`. Only with `{ embeddings: true }`. */
  embedding?: number[]
  /** Head turn in degrees: 0 facing the camera, the sign says which side. */
  yaw?: number
  /** Head tilt up or down in degrees. */
  pitch?: number
}

export interface Detection {
  faces: DetectedFace[]
  width: number
  height: number
}

export interface DetectOptions {
  /** Compute a face embedding for every face (about 4x the time of detection alone). */
  embeddings?: boolean
  /** Run the face mesh (head angles: yaw, pitch). On by default; off saves about a third. */
  mesh?: boolean
}

/** JPEG or PNG bytes, or raw RGB / RGBA pixels (e.g. a frame from ffmpeg's rgb24 output). */
export type ImageInput = Uint8Array | RawImage

export type IdentityPhotoProblem = 'NO_FACE' | 'MANY_FACES' | 'FACE_TOO_SMALL' | 'TOO_DARK' | 'BLURRY'

export interface IdentityPhotoAssessment {
  ok: boolean
  reason?: IdentityPhotoProblem
  faces: number
  /** The face's embedding, when exactly one face was found. */
  embedding?: number[]
  /** What the decision was made on, for logs and for tuning the limits. */
  measures: {
    /** Face width / image width. */
    faceWidth?: number
    /** Mean luma 0-255 of the face (of the whole picture when there is no face). */
    brightness: number
    /** Variance of the Laplacian of the face, grey, at most 128x128. */
    sharpness?: number
  }
}

/** The limits an ID photo is held to; see `assessIdentityPhoto`. */
export const IDENTITY_PHOTO_LIMITS = {
  /** The face box is at least this share of the picture's width. */
  minFaceWidth: 0.15,
  /**
   * Mean luma of the face, 0-255. Kept low: a well-lit dark-skinned face also reads low, and the
   * sample photos' faces read 43-158; the same photos at 30% exposure read 12-46.
   */
  minBrightness: 40,
  /**
   * Laplacian variance of the face at 128x128 or less. The sample photos' faces read 79-948 (2x
   * enlarged 100-pixel faces 57 and up); blurred with a Gaussian of 2.5 pixels at that scale, 30 or less.
   */
  minSharpness: 40,
}

export interface BackendInfo {
  /** 'wasm' or 'tensorflow' (tfjs-node-gpu). */
  name: string
  gpu: boolean
  /** Milliseconds from the first call to models ready. */
  loadMs: number
}

/** Frames above this size are shrunk before detection (the detector works at 256x256 anyway). */
const MAX_SIDE = 1920

const require = createRequire(import.meta.url)

/** The directory of the installed @vladmandic/human (its `exports` map hides the node-wasm build). */
function humanDir() {
  return dirname(dirname(require.resolve('@vladmandic/human')))
}

type HumanModule = { Human: new (config?: Partial<Config>) => Human; match: Human['match'] }

let humanModule: HumanModule | null = null
function loadHuman(build: 'node-wasm' | 'node-gpu'): HumanModule {
  humanModule = require(join(humanDir(), 'dist', `human.${build}.js`)) as HumanModule
  return humanModule
}

function log(message: string, data: Record<string, unknown>) {
  import('@adonisjs/core/services/logger')
    .then(({ default: logger }) => (logger ? logger.info(data, message) : console.info(message, data)))
    .catch(() => console.info(message, data))
}

function humanConfig(backend: string): Partial<Config> {
  const off = { enabled: false }
  return {
    backend,
    modelBasePath: `file://${join(humanDir(), 'models')}/`,
    wasmPath: `${dirname(require.resolve('@tensorflow/tfjs-backend-wasm', { paths: [humanDir()] }))}/`,
    wasmPlatformFetch: false,
    debug: false,
    async: false,
    warmup: 'none',
    /* 0: every frame is analysed on its own (otherwise Human reuses results for look-alike frames). */
    cacheSensitivity: 0,
    skipAllowed: false,
    cacheModels: false,
    filter: { enabled: false },
    gesture: off,
    body: off,
    hand: off,
    object: off,
    segmentation: off,
    face: {
      enabled: true,
      detector: { rotation: false, maxDetected: 20, minConfidence: 0.3, skipFrames: 0, skipTime: 0 },
      mesh: { enabled: true },
      description: { enabled: true, skipFrames: 0, skipTime: 0 },
      iris: off,
      emotion: off,
      attention: off,
      antispoof: off,
      liveness: off,
    },
  } as Partial<Config>
}

/**
 * tfjs outside tfjs-node reads models only over http: this serves `file://` model URLs from
 * disk. Not registered when a loader already answers for file:// (tfjs-node has its own, and two
 * would make tfjs refuse to choose).
 */
function registerFileLoader(tf: typeof tfjs) {
  if (tf.io.getLoadHandlers('file:///probe/model.json').length > 0) return
  /* A router answers null for URLs it does not serve (tfjs's typing leaves that out). */
  const router = (url: string | string[]): tfjs.io.IOHandler | null => {
    const target = Array.isArray(url) ? url[0] : url
    if (typeof target !== 'string' || !target.startsWith('file://')) return null
    const path = decodeURIComponent(target.slice('file://'.length))
    return {
      load: async () => {
        const modelJson = JSON.parse(await readFile(path, 'utf8')) as tfjs.io.ModelJSON
        return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
          const specs = manifest.flatMap((group) => group.weights)
          const parts = await Promise.all(
            manifest.flatMap((group) => group.paths.map((file) => readFile(join(dirname(path), file))))
          )
          const all = Buffer.concat(parts)
          return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength)]
        })
      },
    }
  }
  tf.io.registerLoadRouter(router as (url: string | string[]) => tfjs.io.IOHandler)
}

async function startHuman(build: 'node-wasm' | 'node-gpu', backend: string) {
  const { Human: HumanClass } = loadHuman(build)
  const human = new HumanClass(humanConfig(backend))
  registerFileLoader(human.tf as typeof tfjs)
  await human.init()
  if (human.tf.getBackend() !== backend) throw new Error(`tfjs backend ${backend} did not start`)
  await human.load()
  return human
}

/** tfjs-node-gpu when it is installed and finds a GPU (FACE_BACKEND=wasm skips it), otherwise wasm. */
async function chooseBackend(): Promise<{ human: Human; gpu: boolean }> {
  if (process.env.FACE_BACKEND !== 'wasm') {
    let installed = false
    try {
      require.resolve('@tensorflow/tfjs-node-gpu')
      installed = true
    } catch {}
    if (installed) {
      try {
        const human = await startHuman('node-gpu', 'tensorflow')
        const backend = human.tf.backend() as { isUsingGpuDevice?: boolean }
        if (backend.isUsingGpuDevice) return { human, gpu: true }
        log('face engine: tfjs-node-gpu found no GPU, using wasm', {})
      } catch (error) {
        log('face engine: tfjs-node-gpu did not start, using wasm', { err: String(error) })
      }
    }
  }
  return { human: await startHuman('node-wasm', 'wasm'), gpu: false }
}

const RADIANS = 180 / Math.PI

export class FaceEngine {
  /** Calls are run one after another: Human keeps per-call state and one core is all wasm uses. */
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly human: Human,
    readonly backend: BackendInfo
  ) {}

  /** Faces in a JPEG/PNG or in raw pixels, biggest first. */
  async detect(image: ImageInput, options: DetectOptions = {}): Promise<Detection> {
    return this.detectRgb(toImage(image), options)
  }

  async detectRgb(image: RgbImage, options: DetectOptions = {}): Promise<Detection> {
    const run = this.queue.then(() => this.run(image, options))
    this.queue = run.catch(() => {})
    return run
  }

  private async run(image: RgbImage, options: DetectOptions): Promise<Detection> {
    const small = shrink(image, MAX_SIDE)
    const scale = image.width / small.width
    const tf = this.human.tf
    const input = tf.tensor3d(small.data, [small.height, small.width, 3], 'int32')
    try {
      const result = await this.human.detect(input, {
        face: { description: { enabled: Boolean(options.embeddings) }, mesh: { enabled: options.mesh !== false } },
      } as Partial<Config>)
      const faces = result.face.map((face) => toFace(face, scale, Boolean(options.embeddings)))
      faces.sort((a, b) => b.box[2] * b.box[3] - a.box[2] * a.box[3])
      return { faces, width: image.width, height: image.height }
    } finally {
      tf.dispose(input)
    }
  }
}

function toImage(image: ImageInput): RgbImage {
  return image instanceof Uint8Array ? decodeImage(image) : toRgb(image)
}

function toFace(face: FaceResult, scale: number, withEmbedding: boolean): DetectedFace {
  const [x, y, w, h] = face.box
  const out: DetectedFace = {
    box: [Math.round(x * scale), Math.round(y * scale), Math.round(w * scale), Math.round(h * scale)],
    score: Math.round(face.score * 1000) / 1000,
  }
  const angle = face.rotation?.angle
  if (angle && Number.isFinite(angle.yaw)) out.yaw = Math.round(angle.yaw * RADIANS)
  if (angle && Number.isFinite(angle.pitch)) out.pitch = Math.round(angle.pitch * RADIANS)
  if (withEmbedding && face.embedding?.length) out.embedding = Array.from(face.embedding)
  return out
}

let engine: Promise<FaceEngine> | null = null

/** The one engine of this process, started at the first call (about 0.2 s); later calls share it. */
export function getFaceEngine(): Promise<FaceEngine> {
  engine ??= (async () => {
    const started = performance.now()
    const { human, gpu } = await chooseBackend()
    const info: BackendInfo = { name: human.tf.getBackend(), gpu, loadMs: Math.round(performance.now() - started) }
    log('face engine ready', { backend: info.name, gpu: info.gpu, loadMs: info.loadMs, human: human.version })
    return new FaceEngine(human, info)
  })().catch((error) => {
    engine = null // a later call tries again
    throw error
  })
  return engine
}

/**
 * How alike two face embeddings are, 0-1 (Human's normalised Euclidean similarity): the same
 * person is usually above 0.5, different people below.
 */
export function similarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length === 0) throw new Error(`embeddings differ in length: ${a.length} vs ${b.length}`)
  const { match } = humanModule ?? loadHuman('node-wasm')
  return match.similarity(Array.from(a), Array.from(b))
}

/**
 * Whether a photo is fit to identify a student by: exactly one face, at least 15% of the
 * picture's width, lit (mean luma of the face not below 40/255) and in focus (variance of the
 * Laplacian of the face, grey, at most 128x128, not below 40). A dark picture with no face found
 * is TOO_DARK rather than NO_FACE, since light is what the student has to fix.
 */
export async function assessIdentityPhoto(photo: ImageInput): Promise<IdentityPhotoAssessment> {
  const limits = IDENTITY_PHOTO_LIMITS
  const image = toImage(photo)
  const { faces } = await (await getFaceEngine()).detectRgb(image, { embeddings: true })
  const count = faces.length
  if (count !== 1) {
    const brightness = round(mean(grayRegion(image).gray))
    const reason = count > 1 ? 'MANY_FACES' : brightness < limits.minBrightness ? 'TOO_DARK' : 'NO_FACE'
    return { ok: false, reason, faces: count, measures: { brightness } }
  }
  const face = faces[0]
  const region = grayRegion(image, face.box, 128)
  const measures = {
    faceWidth: round(face.box[2] / image.width),
    brightness: round(mean(region.gray)),
    sharpness: round(laplacianVariance(region.gray, region.width, region.height)),
  }
  const base = { faces: 1, embedding: face.embedding, measures }
  if (measures.faceWidth < limits.minFaceWidth) return { ok: false, reason: 'FACE_TOO_SMALL', ...base }
  if (measures.brightness < limits.minBrightness) return { ok: false, reason: 'TOO_DARK', ...base }
  if (measures.sharpness < limits.minSharpness) return { ok: false, reason: 'BLURRY', ...base }
  return { ok: true, ...base }
}

const round = (value: number) => Math.round(value * 100) / 100
