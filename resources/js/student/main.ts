import { StudentApi, sleep } from './api.js'
import { EventSender, type EventAnswer } from './events.js'
import { Monitor } from './monitor.js'
import { $, clock, fill, readJson } from './page.js'
import { photoStep } from './photo_step.js'
import { AttemptRecording } from './recording.js'
import { levelMeter, runChecks, type CheckResult, type Devices } from './system_check.js'
import { Uploader } from './uploader.js'
import { LivePublisher, type LiveMessage } from './live.js'
import { chime } from '../live_stream.js'

type Config = {
  sessionId: string
  token: string
  status: string
  endReason: string | null
  stopNote: string | null
  requiresScreen: boolean
  requiresPhone: boolean
  examUrl: string | null
  examOrigin: string | null
  durationSeconds: number
  startedAt: number | null
  violations: number
  violationLimit: number
  identity: { consent: boolean; face: boolean; document: boolean }
  chunkMs: number
}

const config = readJson<Config>('student-config')
const text = readJson<Record<string, string>>('student-i18n')
const api = new StudentApi({ sessionId: config.sessionId, token: config.token })

let uploader: Uploader
let events: EventSender
let devices: Devices | undefined
let recording: AttemptRecording | undefined
let monitor: Monitor | undefined
let live: LivePublisher | undefined
let ended = false
let violations = config.violations

/* --------------------------------------------------------------- steps */

function show(step: string) {
  document.querySelectorAll<HTMLElement>('.step[data-step]').forEach((el) => (el.hidden = el.dataset.step !== step))
  document.querySelectorAll<HTMLElement>('[data-progress]').forEach((el) => {
    el.classList.toggle('current', el.dataset.progress === step)
  })
  document.body.dataset.currentStep = step
}

function showView(view: 'setup' | 'exam') {
  $<HTMLElement>('[data-view="setup"]').hidden = view !== 'setup'
  $<HTMLElement>('[data-view="exam"]').hidden = view !== 'exam'
  document.body.classList.toggle('in-exam', view === 'exam')
}

/* --------------------------------------------------------- system check */

function renderCheck(result: CheckResult) {
  const row = $(`[data-check="${result.item}"]`)
  if (!row) return
  row.classList.remove('ok', 'fail', 'busy')
  row.classList.add(result.passed ? 'ok' : 'fail')
  const mbps = result.details?.mbps
  $('[data-role="state"]', row).textContent = mbps !== undefined ? fill(text.mbps, { mbps: String(mbps) }) : result.passed ? text.passed : text.failed
  row.querySelectorAll<HTMLElement>('[data-fix]').forEach((fix) => (fix.hidden = result.passed || fix.dataset.fix !== result.errorCode))
}

async function systemCheck(): Promise<Devices> {
  const run = $<HTMLButtonElement>('[data-action="run-checks"]')
  const next = $<HTMLButtonElement>('[data-action="checks-continue"]')
  let meter: { stop: () => void } | undefined
  for (;;) {
    /* The button stays disabled in the page until this handler is in place: a click while the page is still opening its chunk store would be lost. */
    run.disabled = false
    await new Promise<void>((resolve) => (run.onclick = () => resolve()))
    run.disabled = true
    meter?.stop()
    document.querySelectorAll<HTMLElement>('[data-check]').forEach((row) => {
      row.classList.remove('ok', 'fail')
      row.classList.add('busy')
      $('[data-role="state"]', row).textContent = text.checking
    })
    const { devices: opened } = await runChecks(api, { requiresScreen: config.requiresScreen }, renderCheck)
    run.disabled = false
    run.textContent = run.dataset.again ?? run.textContent
    if (opened) {
      meter = levelMeter(opened.camera, (level) => ($<HTMLElement>('[data-role="mic-level"]').style.width = `${Math.round(level * 100)}%`))
      showCamera(opened.camera)
      next.hidden = false
      await new Promise<void>((resolve) => (next.onclick = () => resolve()))
      meter.stop()
      return opened
    }
  }
}

function showCamera(camera: MediaStream | null) {
  for (const role of ['self-view', 'panel-camera']) {
    const video = $<HTMLVideoElement>(`[data-role="${role}"]`)
    if (video) video.srcObject = camera
  }
  const hint = $('[data-role="camera-hint"]')
  hint.hidden = Boolean(camera)
  if (!camera) hint.textContent = text.camera_off
}

/* ------------------------------------------------------------ rules, ID */

async function rulesAndConsent() {
  show('rules')
  const box = $<HTMLInputElement>('[data-role="consent-box"]')
  const next = $<HTMLButtonElement>('[data-action="consent"]')
  box.onchange = () => (next.disabled = !box.checked)
  await new Promise<void>((resolve) => (next.onclick = () => resolve()))
  await api.post('/consent')
}

/* ------------------------------------------------------------- the exam */

function renderUploadState() {
  const state = uploader.pendingCount === 0 ? text.upload_done : uploader.retrying ? text.upload_retrying : text.upload_pending
  const target = $('[data-role="upload-state"]')
  if (target) target.textContent = fill(state, { count: uploader.pendingCount })
  document.body.dataset.pending = String(uploader.pendingCount)
}

function renderViolations() {
  $('[data-role="violations"]').textContent = String(violations)
}

function banner(message: string | null, withFullscreenButton = false) {
  const box = $('[data-role="banner"]')
  box.hidden = !message
  $('[data-role="banner-text"]').textContent = message ?? ''
  $('[data-action="fullscreen"]').hidden = !withFullscreenButton
}

function startTimer() {
  const startedAt = config.startedAt ?? Date.now()
  const tick = () => {
    const left = config.durationSeconds - (Date.now() - startedAt) / 1000
    $('[data-role="remaining"]').textContent = left > 0 ? clock(left) : text.time_up
    if (left <= 0 && !ended) void finish(false)
  }
  tick()
  setInterval(tick, 1000)
}

/** A reconnect after the network dropped: the old attempt is closed, a new one starts (S9). */
async function reconnect() {
  if (ended || !recording) return
  const state = await api.json('/heartbeat')
  if (state && state.status !== 'in_progress') return endedByServer(state.status, state.endReason, state.stopNote)
  const previous = recording
  recording = undefined
  await previous.stop()
  recording = await AttemptRecording.start(api, uploader, { webcam: devices!.camera, screen: devices!.screen }, config.chunkMs)
  events.attempt = recording.attempt
  document.body.dataset.attempt = String(recording.attempt)
}

async function stopEverything() {
  ended = true
  monitor?.detach()
  live?.stop()
  await recording?.stop()
  devices?.camera.getTracks().forEach((t) => t.stop())
  devices?.screen?.getTracks().forEach((t) => t.stop())
  showCamera(null)
  if (document.fullscreenElement) await document.exitFullscreen().catch(() => undefined)
}

async function drainWithProgress() {
  show('finishing')
  showView('setup')
  const total = uploader.pendingCount || 1
  await uploader.drained((left) => {
    $<HTMLProgressElement>('[data-role="finish-progress"]').value = Math.round(100 * (1 - left / total))
    $('[data-role="finish-state"]').textContent = fill(text.upload_pending, { count: left })
  })
}

/** The session was closed on the server: violation limit (ПКН), reconnect window, a proctor. */
async function endedByServer(status: string, endReason: string | null, stopNote?: string | null) {
  if (ended) return
  await stopEverything()
  await drainWithProgress()
  if (status === 'stopped') {
    showStopped(endReason, stopNote ?? null)
  } else {
    show(endReason === 'reconnect_timeout' ? 'closed' : 'done')
  }
  document.body.dataset.finished = status
}

/** The "stopped" step: the violation count against the limit (ПКН), or the proctor's reason. */
function showStopped(endReason: string | null, stopNote: string | null) {
  if (endReason === 'ended_by_proctor') {
    $<HTMLElement>('[data-role="stopped-reason"]').hidden = !stopNote
    $('[data-role="stopped-reason-text"]').textContent = stopNote ?? ''
    return show('stopped_by_proctor')
  }
  $('[data-role="stopped-count"]').textContent = fill(text.stopped_count, { count: violations, limit: config.violationLimit })
  show('stopped')
}

async function finish(confirmFirst = true) {
  if (ended || (confirmFirst && !window.confirm(text.finish_confirm))) return
  const attempt = recording?.attempt
  await stopEverything()
  const chunks = recording?.totals() ?? {}
  await drainWithProgress()
  for (let pause = 500; ; pause = Math.min(pause * 2, 10_000)) {
    const response = await api.post('/finish', { attempt, chunks }).catch(() => undefined)
    if (response?.ok) break
    await sleep(pause)
  }
  show('done')
  document.body.dataset.finished = 'finished'
}

function watchPhone(state: { phoneSeenAgoMs: number | null }, startedAt: number) {
  const target = $('[data-role="phone-state"]')
  if (!config.requiresPhone || !target) return
  const seen = state.phoneSeenAgoMs !== null && state.phoneSeenAgoMs < 20_000
  const wasSeen = document.body.dataset.phone === 'connected'
  target.textContent = seen ? text.phone_connected : wasSeen ? text.phone_lost : text.phone_waiting
  if (seen) document.body.dataset.phone = 'connected'
  else if (wasSeen || Date.now() - startedAt > 60_000) {
    if (document.body.dataset.phone !== 'lost') events.report('phone_camera_lost')
    document.body.dataset.phone = 'lost'
  }
}

/* ------------------------------------------------- chat and warnings (live) */

const shownMessages = new Set<number>()
const pendingWarnings: LiveMessage[] = []
let unread = 0

function setUnread(count: number) {
  unread = count
  const badge = $('[data-role="chat-unread"]')
  badge.textContent = String(count)
  badge.hidden = count === 0
  $('[data-action="toggle-panel"]').classList.toggle('has-unread', count > 0)
  document.body.dataset.unread = String(count)
}

function showMessage(message: LiveMessage, fresh: boolean) {
  if (shownMessages.has(message.id)) {
    if (message.kind === 'warning' && message.acknowledged) acknowledged(message.id)
    return
  }
  shownMessages.add(message.id)
  $('[data-role="chat-empty"]')?.remove()
  const item = document.createElement('li')
  item.className = `chat-line ${message.sender === 'student' ? 'mine' : 'theirs'}${message.kind === 'warning' ? ' warning' : ''}`
  item.dataset.messageId = String(message.id)
  const time = document.createElement('time')
  time.textContent = new Date(message.at).toLocaleTimeString(document.documentElement.lang, { hour: '2-digit', minute: '2-digit' })
  const body = document.createElement('span')
  body.textContent = (message.kind === 'warning' ? '⚠ ' : '') + message.body
  item.append(time, ' ', body)
  const log = $('[data-role="chat-log"]')
  log.append(item)
  log.scrollTop = log.scrollHeight
  if (message.sender === 'staff' && fresh) {
    chime()
    const panel = $('[data-role="panel"]')
    if (panel.classList.contains('collapsed') || document.activeElement !== $('[data-role="chat-text"]')) setUnread(unread + 1)
  }
  if (message.kind === 'warning' && !message.acknowledged) {
    pendingWarnings.push(message)
    showWarning()
  }
}

function showWarning() {
  const dialog = $<HTMLDialogElement>('[data-role="warning-dialog"]')
  const next = pendingWarnings[0]
  if (!next || dialog.open) return
  $('[data-role="warning-text"]').textContent = next.body
  dialog.dataset.messageId = String(next.id)
  dialog.showModal()
}

function acknowledged(id: number) {
  const index = pendingWarnings.findIndex((warning) => warning.id === id)
  if (index >= 0) pendingWarnings.splice(index, 1)
}

function setUpChat() {
  const form = $<HTMLFormElement>('[data-role="chat-form"]')
  const input = $<HTMLInputElement>('[data-role="chat-text"]')
  input.addEventListener('focus', () => setUnread(0))
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const body = input.value.trim()
    if (!body) return
    input.disabled = true
    void api
      .post('/live/messages', { text: body })
      .then(async (response) => {
        if (response.ok) {
          input.value = ''
          showMessage(await response.json(), false)
        }
      })
      .finally(() => {
        input.disabled = false
        input.focus()
      })
  })
  const dialog = $<HTMLDialogElement>('[data-role="warning-dialog"]')
  /* Escape does not dismiss a warning: it must be acknowledged. */
  dialog.addEventListener('cancel', (event) => event.preventDefault())
  $('[data-action="warning-ack"]').onclick = () => {
    const id = Number(dialog.dataset.messageId)
    void api.post(`/live/messages/${id}/ack`).then((response) => {
      if (!response.ok) return
      acknowledged(id)
      dialog.close()
      showWarning()
    })
  }
}

async function runExam() {
  showView('exam')
  const frame = $<HTMLIFrameElement>('[data-role="exam-frame"]')
  if (frame && frame.src === 'about:blank') frame.src = frame.dataset.src!
  await document.documentElement.requestFullscreen().catch(() => undefined)

  recording = await AttemptRecording.start(api, uploader, { webcam: devices!.camera, screen: devices!.screen }, config.chunkMs)
  events.attempt = recording.attempt
  document.body.dataset.attempt = String(recording.attempt)
  config.startedAt ??= Date.now()
  startTimer()
  renderViolations()
  setUpChat()
  live = new LivePublisher(api, { webcam: devices!.camera, screen: devices!.screen }, {
    onHistory: (messages) => messages.forEach((message) => showMessage(message, false)),
    onMessage: (message) => showMessage(message, true),
    onStopped: (reason) => void endedByServer('stopped', 'ended_by_proctor', reason),
  }).start()

  monitor = new Monitor(events)
  monitor.onOffline = () => banner(text.banner_offline)
  monitor.onOnline = (offlineMs) => {
    banner(null)
    if (offlineMs >= 3000) void reconnect()
  }
  monitor.onScreenLost = () => banner(text.banner_screen)
  monitor.attach({ camera: devices!.camera, screen: devices!.screen, examFrame: frame, examOrigin: config.examOrigin })
  document.addEventListener('fullscreenchange', () => {
    if (!document.fullscreenElement && !ended) banner(text.banner_fullscreen, true)
    else if (document.fullscreenElement) banner(null)
  })
  $('[data-action="fullscreen"]').onclick = () => void document.documentElement.requestFullscreen().catch(() => undefined)
  $('[data-action="finish"]').onclick = () => void finish()
  $('[data-action="toggle-panel"]').onclick = () => {
    const panel = $('[data-role="panel"]')
    const collapsed = panel.classList.toggle('collapsed')
    $('[data-action="toggle-panel"]').setAttribute('aria-expanded', String(!collapsed))
  }

  const examStarted = Date.now()
  for (;;) {
    await sleep(5000)
    if (ended) return
    const state = await api.json('/heartbeat')
    if (!state) continue
    if (state.status !== 'in_progress') return endedByServer(state.status, state.endReason, state.stopNote)
    violations = Math.max(violations, state.violations)
    renderViolations()
    watchPhone(state, examStarted)
  }
}

function onEventAnswer(answer: EventAnswer) {
  violations = Math.max(violations, answer.violations)
  renderViolations()
  if (answer.stopped || answer.status === 'stopped') void endedByServer('stopped', 'violation_limit')
}

async function main() {
  uploader = await Uploader.create(config.sessionId, config.token)
  uploader.onChange = renderUploadState
  events = new EventSender(api)
  events.onAnswer = onEventAnswer
  ;(window as any).proctor = {
    uploader,
    events,
    get devices() {
      return devices
    },
    get attempt() {
      return recording?.attempt
    },
  }
  window.addEventListener('beforeunload', (event) => {
    if (!ended && (recording || uploader.pendingCount > 0)) event.preventDefault()
  })

  if (config.status === 'finished' || config.status === 'stopped') {
    showCamera(null)
    if (config.status === 'stopped') showStopped(config.endReason, config.stopNote)
    else show(config.endReason === 'reconnect_timeout' ? 'closed' : 'done')
    return
  }

  show('check')
  devices = await systemCheck()
  if (!config.identity.consent) await rulesAndConsent()
  if (!config.identity.face) {
    show('face')
    await photoStep($('[data-step="face"]'), devices.camera, api, '/identity/face', text)
  }
  if (!config.identity.document) {
    show('document')
    await photoStep($('[data-step="document"]'), devices.camera, api, '/identity/document', text)
  }
  show('ready')
  const resuming = config.status === 'in_progress'
  $('[data-role="resume-intro"]').hidden = !resuming
  $('[data-role="ready-intro"]').hidden = resuming
  const start = $<HTMLButtonElement>('[data-action="start"]')
  start.textContent = resuming ? text.continue_exam : text.start
  await new Promise<void>((resolve) => (start.onclick = () => resolve()))
  await runExam()
}

void main()
