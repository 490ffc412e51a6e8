import type { StudentApi } from './api.js'
import { DeviceError, openCamera, openScreen } from './capture.js'

export type CheckItem = 'browser' | 'camera' | 'microphone' | 'screen' | 'upload_speed' | 'single_monitor'
export type CheckResult = { item: CheckItem; passed: boolean; errorCode?: string; details?: Record<string, unknown> }

const MIN_UPLOAD_MBPS = 1

/** Browser name and major version from the user agent (Chromium family first). */
export function browserInfo(ua = navigator.userAgent) {
  const patterns: [string, RegExp][] = [
    ['Edge', /Edg\/(\d+)/],
    ['Yandex', /YaBrowser\/(\d+)/],
    ['Opera', /OPR\/(\d+)/],
    ['Chrome', /Chrom(?:e|ium)\/(\d+)/],
    ['Firefox', /Firefox\/(\d+)/],
    ['Safari', /Version\/(\d+).*Safari/],
  ]
  for (const [name, pattern] of patterns) {
    const match = pattern.exec(ua)
    if (match) return { name, version: Number(match[1]) }
  }
  return { name: 'unknown', version: 0 }
}

/** Chromium-based browsers from 110 on record the screen and camera the way we need. */
function browserSupported(info: { name: string; version: number }) {
  const chromium = ['Chrome', 'Edge', 'Yandex', 'Opera'].includes(info.name)
  return (
    chromium &&
    info.version >= 110 &&
    typeof MediaRecorder !== 'undefined' &&
    typeof navigator.mediaDevices?.getDisplayMedia === 'function'
  )
}

/**
 * Times an upload of 1 MiB of random bytes to the appliance itself. One slow send (the server
 * busy for a moment, a Wi-Fi hiccup) does not fail the check: it is tried up to three times and
 * the best figure counts.
 */
export async function measureUpload(api: StudentApi, tries = 3): Promise<CheckResult> {
  const bytes = new Uint8Array(1024 * 1024)
  for (let i = 0; i < bytes.length; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536))
  let best: number | undefined
  for (let attempt = 0; attempt < tries; attempt++) {
    const started = performance.now()
    const response = await api.postBytes('/speed-test', bytes, 'application/octet-stream').catch(() => undefined)
    const seconds = (performance.now() - started) / 1000
    if (!response?.ok) continue
    const mbps = (bytes.length * 8) / seconds / 1_000_000
    best = Math.max(best ?? 0, mbps)
    if (best >= MIN_UPLOAD_MBPS) break
  }
  if (best === undefined) return { item: 'upload_speed', passed: false, errorCode: 'UPLOAD_FAILED' }
  const details = { mbps: Math.round(best * 10) / 10 }
  return best >= MIN_UPLOAD_MBPS
    ? { item: 'upload_speed', passed: true, details }
    : { item: 'upload_speed', passed: false, errorCode: 'UPLOAD_SLOW', details }
}

/** Rising and falling level of the microphone, for the meter; stops with the stream. */
export function levelMeter(stream: MediaStream, onLevel: (level: number) => void) {
  const context = new AudioContext()
  const analyser = context.createAnalyser()
  analyser.fftSize = 1024
  context.createMediaStreamSource(stream).connect(analyser)
  const samples = new Float32Array(analyser.fftSize)
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(samples)
    let sum = 0
    for (const s of samples) sum += s * s
    const rms = Math.sqrt(sum / samples.length)
    onLevel(Math.min(1, rms * 4))
  }, 100)
  return { context, analyser, stop: () => (clearInterval(timer), void context.close()) }
}

export type Devices = { camera: MediaStream; screen?: MediaStream }

/**
 * S2: runs every check, in order, and reports each result (passed or not) as it comes.
 * The devices opened along the way are returned for the exam itself.
 */
export async function runChecks(
  api: StudentApi,
  options: { requiresScreen: boolean },
  report: (result: CheckResult) => void
): Promise<{ results: CheckResult[]; devices?: Devices }> {
  const results: CheckResult[] = []
  const done = (result: CheckResult) => {
    results.push(result)
    report(result)
    void api.post('/checks', result).catch(() => undefined)
  }
  const info = browserInfo()
  done({ item: 'browser', passed: browserSupported(info), errorCode: browserSupported(info) ? undefined : 'BROWSER_UNSUPPORTED', details: info })

  let camera: MediaStream | undefined
  try {
    camera = await openCamera()
    done({ item: 'camera', passed: camera.getVideoTracks().length > 0, errorCode: 'CAMERA_NOT_FOUND' })
    const audio = camera.getAudioTracks().length > 0
    done({ item: 'microphone', passed: audio, errorCode: audio ? undefined : 'MIC_NOT_FOUND' })
  } catch (error) {
    const code = error instanceof DeviceError ? error.key : 'CAMERA_DENIED'
    done({ item: 'camera', passed: false, errorCode: code })
    done({ item: 'microphone', passed: false, errorCode: code.startsWith('CAMERA_DENIED') ? 'MIC_DENIED' : 'MIC_NOT_FOUND' })
  }

  let screen: MediaStream | undefined
  if (options.requiresScreen) {
    try {
      screen = await openScreen()
      done({ item: 'screen', passed: true })
    } catch (error) {
      done({ item: 'screen', passed: false, errorCode: error instanceof DeviceError ? error.key : 'SCREEN_DENIED' })
    }
  }

  done(await measureUpload(api))

  const extended = (window.screen as { isExtended?: boolean }).isExtended
  done({
    item: 'single_monitor',
    passed: extended !== true,
    errorCode: extended === true ? 'SECOND_MONITOR' : undefined,
    details: { known: extended !== undefined },
  })

  const passed = results.every((r) => r.passed)
  if (!passed) {
    camera?.getTracks().forEach((t) => t.stop())
    screen?.getTracks().forEach((t) => t.stop())
    return { results }
  }
  return { results, devices: { camera: camera!, screen } }
}
