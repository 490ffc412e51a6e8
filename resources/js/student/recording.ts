import { sleep, type StudentApi } from './api.js'
import { ChunkRecorder } from './capture.js'
import type { Uploader } from './uploader.js'

/**
 * The recording of one attempt: a recorder per stream, started together and stopped
 * together. Stopping tells the server how many chunks each stream made, so the worker
 * knows when the attempt's recordings are complete.
 */
export class AttemptRecording {
  private recorders = new Map<string, ChunkRecorder>()

  private constructor(
    private api: StudentApi,
    readonly attempt: number
  ) {}

  /** Opens the next attempt on the server (retrying while the network is away) and starts recording. */
  static async start(api: StudentApi, uploader: Uploader, streams: Record<string, MediaStream | undefined>, chunkMs: number) {
    let answer: { attempt: number } | undefined
    for (let pause = 500; ; pause = Math.min(pause * 2, 5000)) {
      const response = await api.post('/attempts').catch(() => undefined)
      if (response?.ok) {
        answer = await response.json()
        break
      }
      if (response && response.status < 500) throw new Error(`attempt refused: ${response.status}`)
      await sleep(pause)
    }
    const recording = new AttemptRecording(api, answer!.attempt)
    for (const [name, stream] of Object.entries(streams)) {
      if (!stream || stream.getVideoTracks().every((t) => t.readyState === 'ended')) continue
      const recorder = new ChunkRecorder(stream, name === 'webcam', (seq, blob) => uploader.add(recording.attempt, name, seq, blob))
      recording.recorders.set(name, recorder)
      recorder.start(chunkMs)
    }
    return recording
  }

  totals() {
    return Object.fromEntries([...this.recorders].map(([name, r]) => [name, r.chunkCount]))
  }

  /** Stops every recorder, waits for their last chunks, and reports the totals (retrying in the background). */
  async stop() {
    await Promise.all([...this.recorders.values()].map((r) => r.stop()))
    const totals = this.totals()
    void (async () => {
      for (let pause = 1000; ; pause = Math.min(pause * 2, 15_000)) {
        const response = await this.api.post(`/attempts/${this.attempt}/totals`, { chunks: totals }).catch(() => undefined)
        if (response && response.status < 500) return
        await sleep(pause)
      }
    })()
    return totals
  }
}
