import type { StudentApi } from './api.js'

type Pending = { clientEventId: string; type: string; at: number; durationMs?: number; attempt?: number; details?: Record<string, unknown> }
export type EventAnswer = { violations: number; limit: number; status: string; stopped: boolean }

/**
 * Sends each browser event (S7) at once; while the network is down the events wait in
 * localStorage (they survive a reload) and go out, in order, when it is back. Each keeps
 * its own id, so one sent twice is stored once.
 */
export class EventSender {
  private key: string
  private pending: Pending[]
  private flushing = false
  private retryTimer?: ReturnType<typeof setTimeout>
  attempt?: number
  onAnswer: (answer: EventAnswer) => void = () => {}

  constructor(private api: StudentApi) {
    this.key = `proctor-events-${api.auth.sessionId}`
    this.pending = JSON.parse(localStorage.getItem(this.key) ?? '[]')
    window.addEventListener('online', () => void this.flush())
    void this.flush()
  }

  get pendingCount() {
    return this.pending.length
  }

  report(type: string, extra: { durationMs?: number; details?: Record<string, unknown>; at?: number } = {}) {
    const id = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('')
    this.pending.push({ clientEventId: id, type, at: extra.at ?? Date.now(), durationMs: extra.durationMs, attempt: this.attempt, details: extra.details })
    this.save()
    void this.flush()
  }

  private save() {
    localStorage.setItem(this.key, JSON.stringify(this.pending))
  }

  async flush() {
    if (this.flushing) return
    this.flushing = true
    try {
      while (this.pending.length > 0) {
        const event = this.pending[0]
        const { at, ...rest } = event
        const response = await this.api.post('/events', { ...rest, agoMs: Math.max(0, Date.now() - at) }).catch(() => undefined)
        if (!response || response.status >= 500) {
          clearTimeout(this.retryTimer)
          this.retryTimer = setTimeout(() => void this.flush(), 3000)
          return
        }
        this.pending.shift()
        this.save()
        if (response.ok) this.onAnswer(await response.json())
        else console.warn('event refused', event.type, response.status)
      }
    } finally {
      this.flushing = false
    }
  }
}
