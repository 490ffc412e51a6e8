import type { StudentApi } from './api.js'
import { $ } from './page.js'

/**
 * One photo step (face or ID document): snap from the camera, retake, send. Resolves
 * once the server accepted the photo; a refusal shows the server's reason and allows a retake.
 */
export function photoStep(root: HTMLElement, camera: MediaStream, api: StudentApi, path: string, text: Record<string, string>) {
  const video = $<HTMLVideoElement>('[data-role="preview"]', root)
  const img = $<HTMLImageElement>('[data-role="result"]', root)
  const error = $('[data-role="error"]', root)
  const snap = $<HTMLButtonElement>('[data-action="snap"]', root)
  const retake = $<HTMLButtonElement>('[data-action="retake"]', root)
  const send = $<HTMLButtonElement>('[data-action="send"]', root)
  video.srcObject = camera
  let photo: Blob | undefined

  const showing = (taken: boolean) => {
    img.hidden = !taken
    video.hidden = taken
    snap.hidden = taken
    retake.hidden = !taken
    send.hidden = !taken
  }
  const say = (message: string | null) => {
    error.hidden = !message
    error.textContent = message ?? ''
  }

  return new Promise<void>((resolve) => {
    snap.onclick = async () => {
      /* A camera that has not delivered a picture yet would give a black photo. */
      if (video.readyState < 2 || video.videoWidth === 0) {
        await new Promise((ready) => video.addEventListener('loadeddata', ready, { once: true }))
      }
      await new Promise((frame) => requestAnimationFrame(frame))
      const canvas = document.createElement('canvas')
      canvas.width = video.videoWidth || 640
      canvas.height = video.videoHeight || 480
      canvas.getContext('2d')!.drawImage(video, 0, 0, canvas.width, canvas.height)
      photo = await new Promise<Blob | undefined>((done) => canvas.toBlob((b) => done(b ?? undefined), 'image/jpeg', 0.92))
      img.src = photo ? URL.createObjectURL(photo) : ''
      say(null)
      showing(true)
    }
    retake.onclick = () => {
      photo = undefined
      say(null)
      showing(false)
    }
    send.onclick = async () => {
      if (!photo) return
      send.disabled = true
      say(null)
      error.classList.remove('alert-error')
      say(text.photo_checking)
      const response = await api.postBytes(path, photo, 'image/jpeg').catch(() => undefined)
      error.classList.add('alert-error')
      send.disabled = false
      const body = await response?.json().catch(() => undefined)
      if (!response?.ok) {
        /* The server's refusal is translated already (PHOTO_TYPE_INVALID, PHOTO_CORRUPT, PHOTO_DIMENSIONS_TOO_LARGE...): retake and send again. */
        root.dataset.rejected = body?.error?.code ?? 'UNREACHABLE'
        return say(body?.error?.message ?? text.photo_failed)
      }
      if (body?.result === 'rejected') {
        say(body.message)
        root.dataset.rejected = body.reason
        return
      }
      say(null)
      delete root.dataset.rejected
      resolve()
    }
  })
}
