import { ChunkRecorder, DeviceError, openCamera, openScreen } from './capture.js'
import { Uploader } from './uploader.js'

type Config = {
  sessionId: string
  token: string
  status: string
  requiresScreen: boolean
  chunkMs: number
  maxChunkBytes: number
}

const config: Config = JSON.parse(document.getElementById('student-config')!.textContent!)
const text: Record<string, string> = JSON.parse(document.getElementById('student-i18n')!.textContent!)
const $ = <T extends Element = HTMLElement>(selector: string) => document.querySelector(selector) as T
const api = (path: string, body?: unknown) =>
  fetch(`/api/student/sessions/${config.sessionId}${path}`, {
    method: 'POST',
    headers: { 'Authorization': `Bearer ${config.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  })

function show(step: string) {
  document.querySelectorAll<HTMLElement>('[data-step]').forEach((el) => (el.hidden = el.dataset.step !== step))
  document.body.dataset.currentStep = step
}

function showError(role: string, key: string | null) {
  const box = $(`[data-role="${role}"]`)
  box.hidden = !key
  box.textContent = key ? (text[key] ?? key) : ''
}

function mark(check: string, ok: boolean) {
  $(`[data-check="${check}"]`)?.classList.toggle(ok ? 'ok' : 'fail', true)
}

let camera: MediaStream | undefined
let screen: MediaStream | undefined
let attempt = 0
const recorders: Record<string, ChunkRecorder> = {}

async function allowDevices(uploader: Uploader) {
  showError('device-error', null)
  if (!navigator.mediaDevices?.getDisplayMedia || typeof MediaRecorder === 'undefined') {
    return showError('device-error', 'unsupported')
  }
  try {
    camera = await openCamera()
    mark('camera', camera.getVideoTracks().length > 0)
    mark('microphone', camera.getAudioTracks().length > 0)
    if (camera.getAudioTracks().length === 0) throw new DeviceError('noMicrophone')
    if (config.requiresScreen) {
      screen = await openScreen()
      mark('screen', true)
    }
  } catch (error) {
    if (error instanceof DeviceError && error.key.startsWith('screen')) mark('screen', false)
    return showError('device-error', error instanceof DeviceError ? error.key : 'deviceDenied')
  }
  $<HTMLVideoElement>('[data-role="self-view"]').srcObject = camera
  $('[data-role="camera-hint"]').hidden = true
  $<HTMLVideoElement>('[data-role="photo-preview"]').srcObject = camera
  show('photo')
  void uploader
}

let photo: Blob | undefined

async function snapPhoto() {
  const video = $<HTMLVideoElement>('[data-role="photo-preview"]')
  const canvas = document.createElement('canvas')
  canvas.width = video.videoWidth || 640
  canvas.height = video.videoHeight || 480
  canvas.getContext('2d')!.drawImage(video, 0, 0, canvas.width, canvas.height)
  photo = await new Promise<Blob | undefined>((resolve) => canvas.toBlob((b) => resolve(b ?? undefined), 'image/jpeg', 0.9))
  const img = $<HTMLImageElement>('[data-role="photo-result"]')
  img.src = photo ? URL.createObjectURL(photo) : ''
  img.hidden = false
  video.hidden = true
  $('[data-action="snap"]').hidden = true
  $('[data-action="retake"]').hidden = false
  $('[data-action="send-photo"]').hidden = false
}

function retakePhoto() {
  photo = undefined
  $<HTMLImageElement>('[data-role="photo-result"]').hidden = true
  $<HTMLVideoElement>('[data-role="photo-preview"]').hidden = false
  $('[data-action="snap"]').hidden = false
  $('[data-action="retake"]').hidden = true
  $('[data-action="send-photo"]').hidden = true
}

async function sendPhoto() {
  if (!photo) return
  showError('photo-error', null)
  const response = await fetch(`/api/student/sessions/${config.sessionId}/identity/face`, {
    method: 'POST',
    headers: { 'Authorization': `Bearer ${config.token}`, 'Content-Type': 'image/jpeg' },
    body: photo,
  }).catch(() => undefined)
  if (!response?.ok) {
    const body = await response?.json().catch(() => undefined)
    const box = $('[data-role="photo-error"]')
    box.hidden = false
    box.textContent = body?.error?.message ?? text.photoFailed
    return
  }
  show('ready')
}

function renderUploadState(uploader: Uploader) {
  const state = uploader.pendingCount === 0 ? text.uploadDone : uploader.retrying ? text.uploadRetrying : text.uploadPending
  $('[data-role="upload-state"]').textContent = state.replace('{count}', String(uploader.pendingCount))
  document.body.dataset.pending = String(uploader.pendingCount)
}

async function startRecording(uploader: Uploader) {
  const response = await api('/attempts')
  if (!response.ok) return showError('device-error', 'deviceDenied')
  attempt = (await response.json()).attempt
  const streams: [string, MediaStream | undefined, boolean][] = [
    ['webcam', camera, true],
    ['screen', screen, false],
  ]
  for (const [name, stream, withAudio] of streams) {
    if (!stream) continue
    const recorder = new ChunkRecorder(stream, withAudio, (seq, blob) => uploader.add(attempt, name, seq, blob))
    recorders[name] = recorder
    recorder.start(config.chunkMs)
  }
  show('recording')
  const startedAt = Date.now()
  setInterval(() => {
    const seconds = Math.floor((Date.now() - startedAt) / 1000)
    $('[data-role="elapsed"]').textContent =
      `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`
  }, 1000)
}

async function finish(uploader: Uploader) {
  if (!window.confirm(text.finishConfirm)) return
  show('finishing')
  await Promise.all(Object.values(recorders).map((recorder) => recorder.stop()))
  camera?.getTracks().forEach((track) => track.stop())
  $<HTMLVideoElement>('[data-role="self-view"]').srcObject = null
  $('[data-role="camera-hint"]').hidden = false
  $('[data-role="camera-hint"]').textContent = text.cameraOff
  screen?.getTracks().forEach((track) => track.stop())
  const total = uploader.pendingCount || 1
  await uploader.drained((left) => {
    $<HTMLProgressElement>('[data-role="finish-progress"]').value = Math.round(100 * (1 - left / total))
    $('[data-role="finish-state"]').textContent = text.uploadPending.replace('{count}', String(left))
  })
  const chunks = Object.fromEntries(Object.entries(recorders).map(([name, r]) => [name, r.chunkCount]))
  for (let pause = 500; ; pause = Math.min(pause * 2, 10_000)) {
    const response = await api('/finish', { attempt, chunks }).catch(() => undefined)
    if (response?.ok) break
    await new Promise((resolve) => setTimeout(resolve, pause))
  }
  show('done')
  document.body.dataset.finished = 'true'
}

async function main() {
  const uploader = await Uploader.create(config.sessionId, config.token)
  uploader.onChange = () => renderUploadState(uploader)
  ;(window as any).proctor = { uploader, recorders }

  if (config.status === 'finished' || config.status === 'stopped') {
    show('done')
    return
  }
  show('devices')
  $('[data-action="allow"]').addEventListener('click', () => void allowDevices(uploader))
  $('[data-action="snap"]').addEventListener('click', () => void snapPhoto())
  $('[data-action="retake"]').addEventListener('click', retakePhoto)
  $('[data-action="send-photo"]').addEventListener('click', () => void sendPhoto())
  $('[data-action="start"]').addEventListener('click', () => void startRecording(uploader))
  $('[data-action="finish"]').addEventListener('click', () => void finish(uploader))
  window.addEventListener('beforeunload', (event) => {
    if (uploader.pendingCount > 0 || Object.keys(recorders).length > 0) event.preventDefault()
  })
}

void main()
