/**
 * The report's players on one clock (P3). Each attempt's section ([data-sync]) has its own clock:
 * a master clock on performance.now() that every video of the attempt follows. Play, pause, seek
 * and speed apply to all of them; a video that drifts more than DRIFT_SEEK seconds is put back
 * in place, a smaller drift is evened out with a slightly faster or slower rate; a shorter
 * recording stops at its end while the others go on; a video that has to wait for data holds
 * the clock (and the others) until it can play.
 *
 * The violation log's rows ([data-violation], exam time) seek the players of their attempt; the
 * arrow keys (and j/k) step through them. The section exposes data-clock (attempt seconds) and
 * data-rate for tests and for anyone reading the page.
 */
import { attemptTime, clockText, driftCorrection, nextIndex, placeRange, seekThreshold, RATES } from './player_sync_math.js'

/** How often the clock checks its players and repaints the controls (ms). */
const TICK_MS = 100
/** How often data-clock is refreshed (every n-th tick: about 4 times a second). */
const CLOCK_EVERY = 2

class AttemptClock {
  readonly section: HTMLElement
  readonly videos: HTMLVideoElement[]
  readonly offset: number
  private position = 0
  private anchor = 0
  private playing = false
  private stalled = false
  private rate = 1
  private dragging = false
  private ticks = 0
  private readonly seek: HTMLInputElement
  private readonly playButton: HTMLButtonElement
  private readonly rateSelect: HTMLSelectElement
  private readonly track: HTMLElement
  private readonly playhead: HTMLElement

  constructor(section: HTMLElement) {
    this.section = section
    this.videos = [...section.querySelectorAll<HTMLVideoElement>('video[data-stream]')]
    this.offset = Number(section.dataset.offset) || 0
    this.seek = section.querySelector<HTMLInputElement>('[data-role=seek]')!
    this.playButton = section.querySelector<HTMLButtonElement>('[data-action=play]')!
    this.rateSelect = section.querySelector<HTMLSelectElement>('[data-role=rate]')!
    this.track = section.querySelector<HTMLElement>('[data-role=track]')!
    this.playhead = section.querySelector<HTMLElement>('[data-role=playhead]')!
    for (const video of this.videos) {
      video.controls = false
      video.addEventListener('loadedmetadata', () => {
        this.layout()
        this.align(true)
      })
      video.addEventListener('durationchange', () => this.layout())
      video.addEventListener('canplay', () => this.tick())
      /*
       * A video started from outside (media keys, picture-in-picture, a script) starts them all.
       * A 'play' event of the clock's own play() may arrive after a pause that came quickly
       * (space pressed twice): that video is paused by then, and the pause stands.
       */
      video.addEventListener('play', () => {
        if (!this.playing && !video.paused) this.play()
      })
      /* A recording the browser cannot play says so in its place; the others go on without it. */
      video.addEventListener('error', () => this.cannotPlay(video))
      if (video.error) this.cannotPlay(video)
    }
    this.bind()
    this.layout()
    this.paint()
    setInterval(() => this.tick(), TICK_MS)
  }

  private cannotPlay(video: HTMLVideoElement) {
    const notice = video.parentElement?.querySelector<HTMLElement>('[data-role=cannot-play]')
    if (notice) {
      video.hidden = true
      notice.hidden = false
    }
  }

  /** The attempt's length: the longest of its recordings, or the attempt's own span. */
  get duration() {
    const known = this.videos.map((v) => v.duration).filter((d) => Number.isFinite(d) && d > 0)
    return Math.max(Number(this.section.dataset.duration) || 0, ...known, 0)
  }

  /** The master clock, in attempt seconds. */
  now() {
    if (!this.playing || this.stalled) return this.position
    const t = this.position + ((performance.now() - this.anchor) / 1000) * this.rate
    return Math.min(t, this.duration || t)
  }

  private reanchor(at = this.now()) {
    this.position = at
    this.anchor = performance.now()
  }

  play() {
    const duration = this.duration
    if (duration && this.now() >= duration - 0.05) this.reanchor(0)
    else this.reanchor()
    this.playing = true
    this.stalled = false
    this.align(true)
    this.paint()
  }

  pause() {
    this.reanchor()
    this.playing = false
    this.stalled = false
    for (const video of this.videos) video.pause()
    this.align(true)
    this.paint()
  }

  toggle() {
    if (this.playing) this.pause()
    else this.play()
  }

  /** Moves every player to `seconds` of attempt time. */
  seekTo(seconds: number) {
    const duration = this.duration
    this.reanchor(Math.max(0, duration ? Math.min(seconds, duration) : seconds))
    this.align(true)
    this.paint()
  }

  setRate(rate: number) {
    this.reanchor()
    this.rate = RATES.includes(rate) ? rate : 1
    for (const video of this.videos) video.playbackRate = this.rate
    this.rateSelect.value = String(this.rate)
    this.paint()
  }

  /** The videos that still have something to play at time t. */
  private activeAt(video: HTMLVideoElement, t: number) {
    return !(Number.isFinite(video.duration) && t >= video.duration - 0.05)
  }

  /**
   * Brings every video to the clock: past its end a video stays paused at its last frame; a
   * video that drifted is corrected; while playing, paused ones are started.
   */
  private align(hard = false) {
    const t = this.now()
    for (const video of this.videos) {
      if (video.readyState === 0) continue
      if (!this.activeAt(video, t)) {
        if (!video.paused) video.pause()
        if (hard && Number.isFinite(video.duration)) video.currentTime = video.duration
        continue
      }
      const { seek, rate } = driftCorrection(video.currentTime, t, this.rate, hard || !this.playing || this.stalled)
      if (seek) video.currentTime = t
      video.playbackRate = rate
      if (this.playing && !this.stalled && video.paused) void video.play().catch(() => undefined)
      if ((!this.playing || this.stalled) && !video.paused) video.pause()
    }
  }

  /**
   * When every playing video is behind the clock (starting up, or a busy machine that cannot decode
   * them all at 10x), the clock falls back to them instead of seeking them all forward, which would
   * only make them wait for their seeks again.
   */
  private follow() {
    if (this.stalled) return
    const t = this.now()
    const times = this.videos
      .filter((v) => v.error === null && v.readyState >= 3 && !v.seeking && this.activeAt(v, t))
      .map((v) => v.currentTime)
      .sort((a, b) => a - b)
    if (times.length && times[times.length - 1] < t - seekThreshold(this.rate)) this.reanchor(times[Math.floor(times.length / 2)])
  }

  /**
   * The videos the clock has to wait for: they should be playing now but have no data yet
   * (still loading, seeking, buffering). One that failed to load is left out: the others go on.
   */
  private waitingFor() {
    const t = this.now()
    return this.videos.filter((v) => v.error === null && this.activeAt(v, t) && (v.seeking || v.readyState < 3))
  }

  tick() {
    if (this.playing) {
      const duration = this.duration
      if (duration && this.now() >= duration) {
        this.reanchor(duration)
        this.playing = false
        this.stalled = false
        for (const video of this.videos) video.pause()
      } else {
        const waiting = this.waitingFor().length > 0
        if (waiting && !this.stalled) {
          this.reanchor()
          this.stalled = true
          for (const video of this.videos) video.pause()
        } else if (!waiting && this.stalled) {
          this.reanchor()
          this.stalled = false
        }
      }
      this.follow()
      this.align()
    }
    this.ticks++
    this.paint(this.ticks % CLOCK_EVERY === 0)
  }

  /** Repaints the controls, the timeline's playhead and (when `exposeClock`) data-clock. */
  private paint(exposeClock = true) {
    const t = this.now()
    const duration = this.duration
    if (exposeClock) this.section.dataset.clock = t.toFixed(2)
    this.section.dataset.rate = String(this.rate)
    this.section.dataset.state = this.playing ? (this.stalled ? 'waiting' : 'playing') : 'paused'
    const label = this.playing ? this.playButton.dataset.labelPause! : this.playButton.dataset.labelPlay!
    this.playButton.querySelector('[data-role=play-label]')!.textContent = label
    this.playButton.querySelector('[data-role=play-icon]')!.textContent = this.playing ? '❚❚' : '▶'
    if (!this.dragging) {
      this.seek.max = String(duration || 0)
      this.seek.value = String(t)
    }
    this.seek.setAttribute('aria-valuetext', `${clockText(this.offset + t)} (${clockText(t)} / ${clockText(duration)})`)
    this.section.querySelector('[data-role=exam-time]')!.textContent = clockText(this.offset + t)
    this.section.querySelector('[data-role=attempt-time]')!.textContent = clockText(t)
    this.section.querySelector('[data-role=duration]')!.textContent = clockText(duration)
    const end = this.section.querySelector('[data-role=scale-end]')
    if (end) end.textContent = clockText(this.offset + duration)
    this.playhead.style.left = `${duration ? Math.min(100, (t / duration) * 100) : 0}%`
  }

  /** Places the violation ranges on the timeline (percent of the attempt's span). */
  layout() {
    const duration = this.duration
    for (const range of this.track.querySelectorAll<HTMLElement>('[data-role=range]')) {
      const { left, width } = placeRange(Number(range.dataset.start), Number(range.dataset.end), duration)
      range.style.left = `${left}%`
      range.style.width = `${width}%`
    }
    this.paint()
  }

  /** Redraws the timeline's ranges from the violation log's rows of this attempt (after a live update). */
  rebuildRanges(rows: HTMLElement[], titles: Map<string, string>) {
    for (const old of this.track.querySelectorAll('[data-role=range]')) old.remove()
    for (const row of rows) {
      const range = document.createElement('button')
      range.type = 'button'
      range.dataset.role = 'range'
      range.dataset.key = row.dataset.key ?? ''
      range.dataset.start = String(Number(row.dataset.start) - this.offset)
      range.dataset.end = String((Number(row.dataset.end) || Number(row.dataset.start)) - this.offset)
      range.className = `tl-range fam-${familyOf(row.dataset.type ?? '')}`
      const label = `${titles.get(row.dataset.type ?? '') ?? row.dataset.type}, ${clockText(Number(row.dataset.start))}`
      range.title = label
      range.setAttribute('aria-label', label)
      this.track.insertBefore(range, this.playhead)
    }
    const empty = this.section.querySelector<HTMLElement>('[data-role=no-ranges]')
    if (empty) empty.hidden = rows.length > 0
    this.layout()
  }

  private bind() {
    this.playButton.addEventListener('click', () => this.toggle())
    this.seek.addEventListener('pointerdown', () => (this.dragging = true))
    this.seek.addEventListener('pointerup', () => (this.dragging = false))
    this.seek.addEventListener('input', () => this.seekTo(Number(this.seek.value)))
    this.seek.addEventListener('change', () => {
      this.dragging = false
      this.seekTo(Number(this.seek.value))
    })
    this.rateSelect.addEventListener('change', () => this.setRate(Number(this.rateSelect.value)))
    const mute = this.section.querySelector<HTMLButtonElement>('[data-action=mute]')
    const webcam = this.videos.find((v) => v.dataset.stream === 'webcam')
    if (mute && webcam) {
      mute.addEventListener('click', () => {
        webcam.muted = !webcam.muted
        mute.dataset.muted = String(webcam.muted)
        mute.textContent = webcam.muted ? mute.dataset.labelUnmute! : mute.dataset.labelMute!
      })
    }
    /* Space plays and pauses while the control bar has focus (not inside the speed list). */
    const bar = this.section.querySelector<HTMLElement>('[data-role=controls]')!
    bar.addEventListener('keydown', (event) => {
      if (event.key !== ' ' || (event.target as HTMLElement).tagName === 'SELECT') return
      event.preventDefault()
      this.toggle()
    })
    bar.addEventListener('keyup', (event) => {
      if (event.key === ' ' && (event.target as HTMLElement).tagName !== 'SELECT') event.preventDefault()
    })
    /* A click on a range seeks to its start; anywhere else on the track, to that point. */
    /*
     * Dragging along the timeline marks a range (for a proctor's incident): it is drawn, the players
     * go to its start and `report:range-selected` carries it in exam time to the incident form.
     */
    let dragFrom: number | null = null
    let dragged = false
    const at = (event: PointerEvent) => {
      const box = this.track.getBoundingClientRect()
      return box.width > 0 ? Math.min(1, Math.max(0, (event.clientX - box.left) / box.width)) * this.duration : 0
    }
    const mark = this.section.querySelector<HTMLElement>('[data-role=selection]')
    this.track.addEventListener('pointerdown', (event) => {
      if (event.button !== 0) return
      dragFrom = at(event)
      dragged = false
    })
    this.track.addEventListener('pointermove', (event) => {
      if (dragFrom === null || !(event.buttons & 1)) return
      const to = at(event)
      const box = this.track.getBoundingClientRect()
      if (!dragged && Math.abs(to - dragFrom) * (box.width / (this.duration || 1)) < 6) return
      dragged = true
      if (mark) {
        const { left, width } = placeRange(Math.min(dragFrom, to), Math.max(dragFrom, to), this.duration)
        mark.style.left = `${left}%`
        mark.style.width = `${width}%`
        mark.hidden = false
      }
    })
    this.track.addEventListener('pointerup', (event) => {
      if (dragFrom === null) return
      const from = dragFrom
      dragFrom = null
      if (!dragged) return
      const to = at(event)
      const [start, end] = [Math.min(from, to), Math.max(from, to)]
      this.seekTo(start)
      document.dispatchEvent(new CustomEvent('report:range-selected', { detail: { start: this.offset + start, end: this.offset + end, attempt: Number(this.section.dataset.attempt) } }))
    })
    this.track.addEventListener('click', (event) => {
      if (dragged) {
        dragged = false
        return
      }
      if (mark) mark.hidden = true
      const range = (event.target as HTMLElement).closest<HTMLElement>('[data-role=range]')
      if (range) {
        this.seekTo(Number(range.dataset.start))
        const row = document.querySelector<HTMLElement>(`[data-violation][data-key="${CSS.escape(range.dataset.key ?? '')}"]`)
        if (row) select(row, false)
        return
      }
      const box = this.track.getBoundingClientRect()
      if (box.width > 0) this.seekTo(((event.clientX - box.left) / box.width) * this.duration)
    })
  }
}

/** The colour family of a kind of violation (the legend's five). */
function familyOf(type: string) {
  if (['no_face', 'multiple_faces', 'face_mismatch', 'looking_away'].includes(type)) return 'face'
  if (type === 'voice_detected') return 'audio'
  if (['focus_lost', 'tab_hidden', 'fullscreen_exit', 'copy', 'cut', 'paste', 'right_click', 'second_monitor'].includes(type)) return 'browser'
  if (type === 'incident') return 'proctor'
  return 'device'
}

const clocks = new Map<string, AttemptClock>()
for (const section of document.querySelectorAll<HTMLElement>('[data-sync]')) {
  clocks.set(section.dataset.attempt ?? '', new AttemptClock(section))
}

/** The clock of a log row: the attempt it names, else the attempt whose span holds its start. */
function clockOfRow(row: HTMLElement) {
  const named = clocks.get(row.dataset.attempt ?? '')
  if (named) return named
  const start = Number(row.dataset.start)
  let best: AttemptClock | undefined
  for (const clock of clocks.values()) if (clock.offset <= start) best = clock
  return best
}

/** The log row last selected (its key survives the live log replacing the rows). */
let selectedKey: string | null = null

const rows = () => [...document.querySelectorAll<HTMLElement>('[data-violation]')]

/** Highlights a log row, seeks every player of its attempt to its start, and (when asked) focuses it. */
function select(row: HTMLElement, seek = true) {
  selectedKey = row.dataset.key ?? null
  for (const other of document.querySelectorAll<HTMLElement>('[data-violation].is-selected')) {
    other.classList.remove('is-selected')
    other.removeAttribute('aria-current')
  }
  row.classList.add('is-selected')
  row.setAttribute('aria-current', 'true')
  if (seek) {
    const clock = clockOfRow(row)
    if (clock) clock.seekTo(attemptTime(Number(row.dataset.start), clock.offset))
    row.scrollIntoView({ block: 'nearest' })
    row.focus({ preventScroll: true })
  }
}

document.addEventListener('click', (event) => {
  const row = (event.target as HTMLElement).closest<HTMLElement>('[data-violation]')
  if (row && !(event.target as HTMLElement).closest('a, button, input, select, textarea')) select(row)
})

document.addEventListener('keydown', (event) => {
  const target = event.target as HTMLElement
  if (event.altKey || event.ctrlKey || event.metaKey) return
  if (target.closest('input, select, textarea, [contenteditable]')) return
  const row = target.closest<HTMLElement>('[data-violation]')
  if (row && event.key === 'Enter') {
    event.preventDefault()
    select(row)
    return
  }
  const step = event.key === 'ArrowDown' || event.key === 'j' ? 1 : event.key === 'ArrowUp' || event.key === 'k' ? -1 : 0
  if (!step) return
  const list = rows()
  if (list.length === 0) return
  event.preventDefault()
  const current = list.findIndex((r) => r.classList.contains('is-selected'))
  select(list[nextIndex(current, step, list.length)])
})

/* The log may be replaced live (server-sent events): keep the selection and redraw the timelines. */
const titlesOf = () => {
  const data = document.querySelector<HTMLElement>('[data-violation-titles]')?.dataset.violationTitles
  return new Map<string, string>(Object.entries(data ? (JSON.parse(data) as Record<string, string>) : {}))
}
const logTable = document.querySelector('[data-testid=violations]')
let pending = false
const observer = new MutationObserver(() => {
  if (pending) return
  pending = true
  queueMicrotask(() => {
    pending = false
    const all = rows()
    const titles = titlesOf()
    for (const clock of clocks.values()) {
      const mine = all.filter((row) => clockOfRow(row) === clock)
      const drawn = [...clock.section.querySelectorAll<HTMLElement>('[data-role=range]')].map((r) => r.dataset.key).join('|')
      if (drawn !== mine.map((r) => r.dataset.key).join('|')) clock.rebuildRanges(mine, titles)
    }
    const key = document.querySelector<HTMLElement>('[data-violation].is-selected')?.dataset.key ?? selectedKey
    const again = key ? all.find((r) => r.dataset.key === key) : undefined
    if (again && !again.classList.contains('is-selected')) {
      again.classList.add('is-selected')
      again.setAttribute('aria-current', 'true')
    }
  })
})
if (logTable) observer.observe(logTable, { childList: true, subtree: true })
