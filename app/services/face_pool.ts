import { Worker } from 'node:worker_threads'
import photos from '#config/photos'
import type { IdentityPhotoAssessment } from '#worker/face/face_engine'
import type { PhotoJob, PhotoReply, PhotoTask } from '#worker/face/photo_thread'

/** The photo could not be decoded: damaged, cut short, or not the image it claims to be. */
export class PhotoCorruptError extends Error {}

type Pending = { job: PhotoJob; resolve: (result: any) => void; reject: (error: Error) => void }

const THREAD_FILE = new URL('../../analysis-worker/face/photo_thread.ts', import.meta.url)

/**
 * A few threads that decode identity photos and run the face model (about a second for a
 * large photo), so that the web process keeps answering other requests, /health included,
 * meanwhile. Jobs wait in order for a free thread; a thread that dies is replaced and its
 * job fails. Threads start at the first photo and keep their model loaded.
 */
class FacePool {
  private idle: Worker[] = []
  private busy = new Map<Worker, Pending>()
  private waiting: Pending[] = []
  private started = 0
  private nextId = 1

  constructor(private readonly size: number) {}

  run<T>(task: PhotoTask, bytes: Uint8Array): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ job: { id: this.nextId++, task, bytes }, resolve, reject })
      this.dispatch()
    })
  }

  private dispatch() {
    while (this.waiting.length) {
      const thread = this.idle.pop() ?? (this.started < this.size ? this.startThread() : null)
      if (!thread) return
      const pending = this.waiting.shift()!
      this.busy.set(thread, pending)
      thread.ref()
      thread.postMessage(pending.job)
    }
  }

  private startThread() {
    this.started++
    /* Same loader flags as this process (the TypeScript loader); quiet unless it fails. */
    const thread = new Worker(THREAD_FILE, { execArgv: process.execArgv })
    thread.on('message', (reply: PhotoReply) => {
      const pending = this.busy.get(thread)
      if (!pending || pending.job.id !== reply.id) return
      this.busy.delete(thread)
      if (reply.ok) pending.resolve(reply.result)
      else pending.reject(reply.corrupt ? new PhotoCorruptError(reply.message) : new Error(reply.message))
      this.release(thread)
    })
    thread.on('error', (error) => this.lose(thread, error))
    thread.on('exit', (code) => this.lose(thread, new Error(`photo thread exited (${code})`)))
    return thread
  }

  private release(thread: Worker) {
    /* An idle thread must not keep the process alive (tests, `ace` commands). */
    thread.unref()
    this.idle.push(thread)
    this.dispatch()
  }

  private lose(thread: Worker, error: Error) {
    const wasIdle = this.idle.indexOf(thread)
    if (wasIdle >= 0) this.idle.splice(wasIdle, 1)
    const pending = this.busy.get(thread)
    if (!pending && wasIdle < 0) return // already accounted for
    this.busy.delete(thread)
    this.started--
    pending?.reject(error)
    void thread.terminate()
    this.dispatch()
  }
}

let pool: FacePool | undefined
const shared = () => (pool ??= new FacePool(photos.faceThreads))

/** Whether the face model finds the photo fit to identify the student by (see `assessIdentityPhoto`). */
export function judgeFacePhoto(bytes: Uint8Array) {
  return shared().run<IdentityPhotoAssessment>('assess', bytes)
}

/** Resolves once the photo is known to decode; rejects with PhotoCorruptError otherwise. */
export function checkPhotoDecodes(bytes: Uint8Array) {
  return shared().run<{ width: number; height: number }>('decode', bytes)
}
