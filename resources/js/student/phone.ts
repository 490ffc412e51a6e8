import { StudentApi, sleep } from './api.js'
import { ChunkRecorder, openCamera } from './capture.js'
import { $, readJson } from './page.js'
import { Uploader } from './uploader.js'
import { LivePublisher } from './live.js'

/**
 * The phone-camera page (S11): records the phone's rear camera as the session's third
 * stream, following the attempts of the computer (a reconnect there starts a new file here).
 */
type Config = { sessionId: string; token: string; chunkMs: number }
const config = readJson<Config>('phone-config')
const api = new StudentApi({ sessionId: config.sessionId, token: config.token })

function state(name: string) {
  document.querySelectorAll<HTMLElement>('[data-phone-state]').forEach((el) => (el.hidden = el.dataset.phoneState !== name))
  document.body.dataset.phoneState = name
}

async function main() {
  const uploader = await Uploader.create(config.sessionId, config.token)
  ;(window as any).proctor = { uploader }
  state('idle')
  await new Promise<void>((resolve) => ($('[data-action="phone-start"]').onclick = () => resolve()))
  let camera: MediaStream
  try {
    camera = await openCamera('environment', false)
  } catch {
    return state('denied')
  }
  $<HTMLVideoElement>('[data-role="phone-preview"]').srcObject = camera

  let recorder: ChunkRecorder | undefined
  let attempt: number | null = null
  /* Live: the proctor can watch the phone's camera too (issue 12). */
  const live = new LivePublisher(api, { phone: camera }).start()
  for (;;) {
    const status = await api.json('/heartbeat')
    if (status && status.status !== 'in_progress' && status.status !== 'not_started') {
      live.stop()
      await recorder?.stop()
      camera.getTracks().forEach((t) => t.stop())
      await uploader.drained()
      return state('ended')
    }
    if (status?.attempt && status.status === 'in_progress' && status.attempt !== attempt) {
      await recorder?.stop()
      attempt = status.attempt
      const current = attempt!
      recorder = new ChunkRecorder(camera, false, (seq, blob) => uploader.add(current, 'phone', seq, blob))
      recorder.start(config.chunkMs)
      state('recording')
    } else if (!recorder) {
      state('waiting')
    }
    await sleep(3000)
  }
}

void main()
