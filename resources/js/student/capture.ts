/** Camera, microphone and entire-screen capture, and the recorders that cut them in chunks. */
export class DeviceError extends Error {
  constructor(readonly key: string) {
    super(key)
  }
}

export async function openCamera(facingMode?: 'user' | 'environment', withAudio = true) {
  try {
    return await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 15 }, facingMode },
      audio: withAudio ? { echoCancellation: true, noiseSuppression: false } : false,
    })
  } catch (error) {
    const name = (error as DOMException)?.name
    if (name === 'NotFoundError' || name === 'OverconstrainedError') throw new DeviceError('CAMERA_NOT_FOUND')
    if (name === 'NotReadableError') throw new DeviceError('CAMERA_BUSY')
    throw new DeviceError('CAMERA_DENIED')
  }
}

/** The whole screen, never a window or a tab: those would hide what else is open. */
export async function openScreen() {
  let stream: MediaStream
  try {
    stream = await navigator.mediaDevices.getDisplayMedia({
      video: { displaySurface: 'monitor', frameRate: { ideal: 5 } } as MediaTrackConstraints,
      audio: false,
      monitorTypeSurfaces: 'include',
    } as DisplayMediaStreamOptions)
  } catch {
    throw new DeviceError('SCREEN_DENIED')
  }
  const surface = (stream.getVideoTracks()[0]?.getSettings() as { displaySurface?: string }).displaySurface
  if (surface && surface !== 'monitor') {
    stream.getTracks().forEach((track) => track.stop())
    throw new DeviceError('SCREEN_NOT_ENTIRE')
  }
  return stream
}

function pickType(candidates: string[]) {
  return candidates.find((type) => MediaRecorder.isTypeSupported(type)) ?? ''
}

/** Records one stream, handing each chunk over with its sequence number. */
export class ChunkRecorder {
  private recorder: MediaRecorder
  private seq = 0
  private stopped: Promise<void>

  constructor(
    stream: MediaStream,
    withAudio: boolean,
    onChunk: (seq: number, blob: Blob) => Promise<void>
  ) {
    const mimeType = withAudio
      ? pickType(['video/webm;codecs=vp8,opus', 'video/webm'])
      : pickType(['video/webm;codecs=vp8', 'video/webm'])
    this.recorder = new MediaRecorder(stream, {
      mimeType,
      videoBitsPerSecond: withAudio ? 500_000 : 400_000,
      audioBitsPerSecond: withAudio ? 48_000 : undefined,
      /* A key frame every 2 s: the server analyses key frames only, so this sets its sampling rate. */
      videoKeyFrameIntervalDuration: 2000,
    } as MediaRecorderOptions)
    let handing = Promise.resolve()
    this.recorder.ondataavailable = (event) => {
      if (event.data.size === 0) return
      const seq = this.seq++
      handing = handing.then(() => onChunk(seq, event.data))
    }
    this.stopped = new Promise((resolve) => {
      this.recorder.onstop = () => void handing.then(() => resolve())
    })
  }

  get chunkCount() {
    return this.seq
  }

  start(sliceMs: number) {
    this.recorder.start(sliceMs)
  }

  /** Stops and waits until the last chunk has been handed over. */
  async stop() {
    if (this.recorder.state !== 'inactive') this.recorder.stop()
    await this.stopped
  }
}
