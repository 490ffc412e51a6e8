import { ChunkStore, type StoredChunk } from './chunk_store.js'
import { settled } from './api.js'

export type LedgerEntry = { attempt: number; stream: string; seq: number; sha256: string; size: number }

async function sha256Hex(data: ArrayBuffer) {
  const digest = await crypto.subtle.digest('SHA-256', data)
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('')
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Sends chunks one after another. Each is first kept in IndexedDB, removed only after the
 * server answered that it is stored. Network failures and server errors are retried with
 * growing pauses; a chunk the server refuses outright stays kept and is reported.
 */
export class Uploader {
  /** Every chunk this page produced, for the student's progress and for tests. */
  readonly ledger: LedgerEntry[] = []
  readonly rejected: { chunk: LedgerEntry; code: string }[] = []
  private queue: StoredChunk[] = []
  private running = false
  private backoffMs = 0
  /** The chunk on the wire right now, if any. */
  sending: LedgerEntry | null = null
  onChange: () => void = () => {}

  private constructor(
    private store: ChunkStore,
    private sessionId: string,
    private token: string
  ) {}

  static async create(sessionId: string, token: string) {
    const uploader = new Uploader(await ChunkStore.open(), sessionId, token)
    /* Chunks left over from before a reload or a crash go first. */
    uploader.queue.push(...(await uploader.store.pending(sessionId)))
    uploader.kick()
    return uploader
  }

  get pendingCount() {
    return this.queue.length
  }

  get retrying() {
    return this.backoffMs > 0
  }

  async add(attempt: number, stream: string, seq: number, blob: Blob) {
    const sha256 = await sha256Hex(await blob.arrayBuffer())
    const chunk: StoredChunk = { sessionId: this.sessionId, attempt, stream, seq, type: blob.type, sha256, size: blob.size, blob }
    await this.store.put(chunk)
    this.ledger.push({ attempt, stream, seq, sha256, size: blob.size })
    this.queue.push(chunk)
    this.onChange()
    this.kick()
  }

  /** Resolves once everything produced so far is acknowledged by the server. */
  async drained(onProgress?: (left: number) => void) {
    while (this.queue.length > 0) {
      onProgress?.(this.queue.length)
      await sleep(250)
    }
    onProgress?.(0)
  }

  private kick() {
    if (this.running) return
    this.running = true
    this.loop().finally(() => {
      this.running = false
      if (this.queue.length > 0) this.kick()
    })
  }

  private async loop() {
    while (this.queue.length > 0) {
      const chunk = this.queue[0]
      this.sending = { attempt: chunk.attempt, stream: chunk.stream, seq: chunk.seq, sha256: chunk.sha256, size: chunk.size }
      const outcome = await this.send(chunk).finally(() => (this.sending = null))
      if (outcome === 'retry') {
        this.backoffMs = Math.min(15_000, this.backoffMs ? this.backoffMs * 2 : 500)
        this.onChange()
        await sleep(this.backoffMs * (0.75 + Math.random() * 0.5))
        continue
      }
      this.backoffMs = 0
      this.queue.shift()
      if (outcome === 'stored') await this.store.delete(chunk)
      this.onChange()
    }
  }

  private async send(chunk: StoredChunk): Promise<'stored' | 'rejected' | 'retry'> {
    let response: Response
    try {
      /* Read to the end even when stored (see settled): the connection then serves the next chunk. */
      response = await settled(
        await fetch(`/api/student/sessions/${this.sessionId}/recordings/${chunk.stream}/chunks/${chunk.seq}`, {
          method: 'POST',
          headers: {
            'Authorization': `Bearer ${this.token}`,
            'Content-Type': chunk.type || 'video/webm',
            'X-Attempt': String(chunk.attempt),
            'X-Chunk-Sha256': chunk.sha256,
          },
          body: chunk.blob,
        })
      )
    } catch {
      return 'retry'
    }
    if (response.ok) return 'stored'
    if (response.status >= 500 || response.status === 408 || response.status === 429) return 'retry'
    const body = await response.json().catch(() => ({}))
    this.rejected.push({ chunk: { ...chunk, blob: undefined } as unknown as LedgerEntry, code: body?.error?.code ?? String(response.status) })
    return 'rejected'
  }
}
