/**
 * The pure arithmetic of the report's shared player clock (player_sync.ts), kept apart so it can be
 * tested without a browser (tests/unit/player_sync.spec.ts).
 */

/** A player further than this (seconds) from the clock is put back in place with a seek. */
export const DRIFT_SEEK = 0.15

/** Speeds offered by the control bar. */
export const RATES = [0.5, 1, 2, 4, 10]

/** Exam time (seconds since the session began) to attempt time (the recordings' own 0:00). */
export function attemptTime(examSeconds: number, offset: number) {
  return Math.max(0, examSeconds - offset)
}

/** m:ss under an hour, h:mm:ss from an hour on (as the violation log writes exam time). */
export function clockText(seconds: number) {
  const whole = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0))
  const h = Math.floor(whole / 3600)
  const m = Math.floor((whole % 3600) / 60)
  const s = String(whole % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`
}

/**
 * How far (seconds of recording) a player may drift before it is seeked back: DRIFT_SEEK, and
 * 50 ms of real time at high speeds (at 10x a tenth of a second of timer jitter is a second of
 * recording; seeking at every tick would only make every player wait for its seek).
 */
export function seekThreshold(rate: number) {
  return Math.max(DRIFT_SEEK, 0.05 * rate)
}

/**
 * What to do with a player at `current` when the clock says `target`: seek when it is off by more
 * than seekThreshold (or always, when `hard`: after a seek or while paused), otherwise run it up to
 * 10 % faster or slower so that it catches up within about two seconds.
 */
export function driftCorrection(current: number, target: number, rate: number, hard = false) {
  const drift = current - target
  if (Math.abs(drift) > seekThreshold(rate) || (hard && Math.abs(drift) > 0.02)) return { seek: true, rate }
  if (hard) return { seek: false, rate }
  const factor = Math.min(1.1, Math.max(0.9, 1 - drift / (2 * Math.max(1, rate))))
  return { seek: false, rate: Math.round(rate * factor * 1000) / 1000 }
}

/** Where a violation range sits on an attempt's timeline, in percent (at least a visible sliver). */
export function placeRange(start: number, end: number, duration: number) {
  if (!(duration > 0)) return { left: 0, width: 0 }
  const from = Math.min(Math.max(0, start), duration)
  const to = Math.min(Math.max(from, end), duration)
  const left = (from / duration) * 100
  const width = Math.max(0.6, ((to - from) / duration) * 100)
  return { left: Math.min(left, 100 - 0.6), width: Math.min(width, 100 - Math.min(left, 100 - 0.6)) }
}

/** The row the arrow keys step to: the first (or last) when none is selected, else the next, held at the ends. */
export function nextIndex(current: number, step: 1 | -1 | number, length: number) {
  if (length === 0) return -1
  if (current < 0) return step > 0 ? 0 : length - 1
  return Math.min(length - 1, Math.max(0, current + step))
}
