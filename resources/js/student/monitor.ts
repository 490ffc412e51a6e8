import type { EventSender } from './events.js'

type Watched = {
  camera: MediaStream
  screen?: MediaStream
  /** The exam's iframe: focus moving into it is not "focus lost". */
  examFrame?: HTMLIFrameElement | null
  examOrigin?: string | null
}

const VOICE_LEVEL = 0.02 // RMS of the microphone signal taken as voice or noise
const VOICE_MIN_MS = 1500
const VOICE_MAX_MS = 10_000

/**
 * The in-browser checks while the exam runs (S7). Each finding is one event sent to the
 * server; copy, cut, paste and the context menu are blocked as well as reported.
 */
export class Monitor {
  private cleanups: (() => void)[] = []
  private offlineSince: number | null = null
  onOffline: () => void = () => {}
  onOnline: (offlineMs: number) => void = () => {}
  onScreenLost: () => void = () => {}

  constructor(private events: EventSender) {}

  private on<T extends EventTarget>(target: T, type: string, handler: (event: any) => void, options?: AddEventListenerOptions) {
    target.addEventListener(type, handler, options)
    this.cleanups.push(() => target.removeEventListener(type, handler, options))
  }

  attach(watched: Watched) {
    const report = (type: string, extra?: Parameters<EventSender['report']>[1]) => this.events.report(type, extra)

    for (const type of ['copy', 'cut', 'paste'] as const) {
      this.on(document, type, (event: ClipboardEvent) => {
        event.preventDefault()
        report(type, { details: { where: 'proctoring_page' } })
      }, { capture: true })
    }
    this.on(document, 'contextmenu', (event: MouseEvent) => {
      event.preventDefault()
      report('right_click', { details: { where: 'proctoring_page' } })
    }, { capture: true })

    /* Events inside the exam's own page come from the agent script by postMessage. */
    this.on(window, 'message', (event: MessageEvent) => {
      if (!watched.examOrigin || event.origin !== watched.examOrigin) return
      const data = event.data as { source?: string; type?: string }
      if (data?.source !== 'proctor-agent') return
      const map: Record<string, string> = { copy: 'copy', cut: 'cut', paste: 'paste', contextmenu: 'right_click' }
      if (data.type && map[data.type]) report(map[data.type], { details: { where: 'exam_page' } })
    })

    this.on(window, 'blur', () => {
      setTimeout(() => {
        if (document.hidden) return
        if (watched.examFrame && document.activeElement === watched.examFrame) return
        report('focus_lost')
      }, 0)
    })
    this.on(document, 'visibilitychange', () => {
      if (document.visibilityState === 'hidden') report('tab_hidden')
    })
    this.on(document, 'fullscreenchange', () => {
      if (!document.fullscreenElement) report('fullscreen_exit')
    })

    const watchTrack = (track: MediaStreamTrack | undefined, ended: string, muted?: string) => {
      if (!track) return
      this.on(track, 'ended', () => {
        report(ended)
        if (ended === 'screen_share_stopped') this.onScreenLost()
      })
      if (muted) this.on(track, 'mute', () => report(muted))
    }
    watchTrack(watched.camera.getVideoTracks()[0], 'camera_stopped', 'camera_muted')
    watchTrack(watched.camera.getAudioTracks()[0], 'microphone_stopped', 'microphone_muted')
    watchTrack(watched.screen?.getVideoTracks()[0], 'screen_share_stopped')

    const screenDetails = window.screen as Screen & EventTarget & { isExtended?: boolean }
    if ('isExtended' in screenDetails) {
      this.on(screenDetails, 'change', () => {
        if (screenDetails.isExtended) report('second_monitor')
      })
    }

    this.on(window, 'offline', () => {
      this.offlineSince = Date.now()
      this.onOffline()
    })
    this.on(window, 'online', () => {
      const since = this.offlineSince ?? Date.now()
      this.offlineSince = null
      const offlineMs = Date.now() - since
      report('network_lost', { at: since, durationMs: offlineMs })
      this.onOnline(offlineMs)
    })

    this.watchVoice(watched.camera, report)
  }

  /** A light voice/noise detector: a sustained level above the threshold is one event. */
  private watchVoice(camera: MediaStream, report: (type: string, extra?: any) => void) {
    if (camera.getAudioTracks().length === 0) return
    const context = new AudioContext()
    const analyser = context.createAnalyser()
    analyser.fftSize = 2048
    context.createMediaStreamSource(camera).connect(analyser)
    const samples = new Float32Array(analyser.fftSize)
    let loudSince: number | null = null
    let quietFor = 0
    const timer = setInterval(() => {
      analyser.getFloatTimeDomainData(samples)
      let sum = 0
      for (const s of samples) sum += s * s
      const loud = Math.sqrt(sum / samples.length) > VOICE_LEVEL
      const now = Date.now()
      if (loud) {
        loudSince ??= now
        quietFor = 0
      } else if (loudSince !== null) {
        quietFor += 200
      }
      const length = loudSince === null ? 0 : now - loudSince
      if (loudSince !== null && (quietFor >= 600 || length >= VOICE_MAX_MS)) {
        if (length - quietFor >= VOICE_MIN_MS) report('voice_detected', { at: loudSince, durationMs: length - quietFor })
        loudSince = null
        quietFor = 0
      }
    }, 200)
    this.cleanups.push(() => (clearInterval(timer), void context.close()))
  }

  detach() {
    this.cleanups.splice(0).forEach((cleanup) => cleanup())
  }
}
