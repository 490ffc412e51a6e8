import { parentPort } from 'node:worker_threads'
import { assessIdentityPhoto, getFaceEngine } from './face_engine.js'
import { decodeImage, ImageDecodeError } from './image.js'

/**
 * One thread of the web app's photo pool (app/services/face_pool.ts): decodes identity photos
 * and runs the face model on them, so the web process's event loop never waits for either.
 * The model is loaded once, when the thread starts; jobs come one at a time.
 */
export type PhotoTask = 'assess' | 'decode'
export type PhotoJob = { id: number; task: PhotoTask; bytes: Uint8Array }
export type PhotoReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; corrupt: boolean; message: string }

const port = parentPort!
/* Start loading now: the first photo should not wait for it. A failure shows at the first job. */
void getFaceEngine().catch(() => undefined)

port.on('message', async ({ id, task, bytes }: PhotoJob) => {
  try {
    const result = task === 'assess' ? await assessIdentityPhoto(bytes) : checkDecodes(bytes)
    port.postMessage({ id, ok: true, result } satisfies PhotoReply)
  } catch (error) {
    port.postMessage({ id, ok: false, corrupt: error instanceof ImageDecodeError, message: String((error as Error)?.message ?? error) } satisfies PhotoReply)
  }
})

function checkDecodes(bytes: Uint8Array) {
  const { width, height } = decodeImage(bytes)
  return { width, height }
}
