import { Device } from 'mediasoup-client'
import type { types } from 'mediasoup-client'
import { sleep, type StudentApi } from './api.js'
import { readEvents, transportOptions } from '../live_stream.js'

import type { LiveMessage } from '../../../app/actions/live/messages.js'

export type { LiveMessage }

type Handlers = {
  onHistory?: (messages: LiveMessage[]) => void
  onMessage?: (message: LiveMessage) => void
  onStopped?: (reason: string) => void
}

/** Webcam layers: the smallest for the proctor's tile, the largest when the tile is enlarged. */
const WEBCAM_LAYERS: RTCRtpEncodingParameters[] = [
  { scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { scaleResolutionDownBy: 2, maxBitrate: 400_000 },
  { scaleResolutionDownBy: 1, maxBitrate: 1_000_000 },
]

/**
 * Live video of the student's page (issue 12): publishes the webcam (simulcast) and the
 * screen, or the phone's camera, to the SFU, and keeps them published: after a network drop
 * (the event stream ends) or a restarted SFU (a "restart" event) it publishes again by
 * itself. The recording does not depend on it: the chunks stay the evidence.
 */
export class LivePublisher {
  private device = new Device()
  private transport: types.Transport | null = null
  private peerId: string | null = null
  private examId: number | null = null
  private generation = 0
  private stopped = false
  private abort = new AbortController()

  constructor(
    private api: StudentApi,
    private streams: { webcam?: MediaStream | null; screen?: MediaStream | null; phone?: MediaStream | null },
    private handlers: Handlers = {}
  ) {}

  start() {
    /* The page keeps a stream open from now on (tests wait for the page to settle on other requests). */
    document.body.dataset.live = 'starting'
    void this.listen()
    return this
  }

  stop() {
    this.stopped = true
    this.abort.abort()
    this.closeTransport()
  }

  private async listen() {
    for (let pause = 1000; !this.stopped; pause = Math.min(pause * 2, 8000)) {
      const url = `/api/student/sessions/${this.api.auth.sessionId}/live/events`
      await readEvents(url, { Authorization: `Bearer ${this.api.auth.token}` }, (message) => this.onEvent(message), this.abort.signal).catch(
        () => undefined
      )
      this.closeTransport()
      if (this.stopped) return
      await sleep(pause)
    }
  }

  private onEvent(message: any) {
    if (message.type === 'hello') {
      this.peerId = message.peerId
      this.examId = message.examId
      this.handlers.onHistory?.(message.messages ?? [])
      void this.publish()
    } else if (message.type === 'restart') {
      if (!Array.isArray(message.examIds) || message.examIds.includes(this.examId)) void this.publish()
    } else if (message.type === 'message') {
      this.handlers.onMessage?.(message.message)
    } else if (message.type === 'stopped') {
      this.handlers.onStopped?.(message.reason)
    }
  }

  private closeTransport() {
    this.transport?.close()
    this.transport = null
    document.body.dataset.live = 'off'
  }

  /** (Re)publishes everything on a new send transport; a later call supersedes an earlier one. */
  private async publish() {
    const generation = ++this.generation
    this.closeTransport()
    try {
      const answer = await this.api.post('/live/transport', { peerId: this.peerId })
      if (!answer.ok || generation !== this.generation) return
      const params = await answer.json()
      const transport = this.device.createSendTransport(await transportOptions(this.device, params))
      this.transport = transport
      const peerId = this.peerId
      transport.on('connect', ({ dtlsParameters }, done, fail) => {
        this.api
          .post('/live/connect', { peerId, transportId: transport.id, dtlsParameters })
          .then((response) => (response.ok ? done() : fail(new Error(`connect: ${response.status}`))), fail)
      })
      transport.on('produce', ({ kind, rtpParameters, appData }, done, fail) => {
        this.api
          .post('/live/produce', { peerId, transportId: transport.id, kind, rtpParameters, source: appData.source })
          .then(async (response) => (response.ok ? done({ id: (await response.json()).id }) : fail(new Error(`produce: ${response.status}`))), fail)
      })
      transport.on('connectionstatechange', (state) => {
        document.body.dataset.live = state
        /* ICE gave up (the network changed under it): start over on a new transport. */
        if (state === 'failed' && generation === this.generation && !this.stopped) setTimeout(() => void this.publish(), 1000)
      })
      const webcam = this.streams.webcam?.getVideoTracks()[0]
      if (webcam && webcam.readyState === 'live') {
        await transport.produce({ track: webcam.clone(), encodings: WEBCAM_LAYERS, codecOptions: { videoGoogleStartBitrate: 300 }, appData: { source: 'webcam' } })
      }
      const screen = this.streams.screen?.getVideoTracks()[0]
      if (screen && screen.readyState === 'live') {
        await transport.produce({ track: screen.clone(), encodings: [{ maxBitrate: 1_200_000 }], appData: { source: 'screen' } })
      }
      const phone = this.streams.phone?.getVideoTracks()[0]
      if (phone && phone.readyState === 'live') {
        await transport.produce({ track: phone.clone(), encodings: [{ maxBitrate: 600_000 }], appData: { source: 'phone' } })
      }
    } catch {
      /* The SFU is away (restarting, not installed): the next hello or restart tries again. */
      if (generation === this.generation && !this.stopped) setTimeout(() => void (generation === this.generation && this.publish()), 3000)
    }
  }
}
