import { randomUUID } from 'node:crypto'
import { availableParallelism } from 'node:os'
import * as mediasoup from 'mediasoup'
import type { types } from 'mediasoup'
import env from '#start/env'
import logger from '@adonisjs/core/services/logger'
import AppError from '#exceptions/app_error'

/**
 * The SFU (issue 12): mediasoup workers started and supervised by the app (one per core by
 * default), a router per exam, WebRTC transports through one WebRtcServer port per worker.
 * Students only produce their own streams; only staff consume. This object lives in one web
 * process (see live.ts, which relays the others' calls to it); it keeps the peers in memory,
 * as live video is for watching and the recording stays the evidence.
 */

export const SOURCES = ['webcam', 'screen', 'phone'] as const
export type Source = (typeof SOURCES)[number]

export type PeerInput =
  | { peerId: string; role: 'student'; sessionId: number; examId: number; sources: Source[] }
  | { peerId: string; role: 'staff'; userId: number }

/** What the SFU tells browsers (live.ts carries it to their event streams). */
export type Push = (channel: string, message: Record<string, unknown>) => void

type Slot = {
  index: number
  worker: types.Worker | null
  server: types.WebRtcServer | null
  routers: Map<number, types.Router>
  starting: Promise<void> | null
}

type Peer = PeerInput & {
  transports: Map<string, types.WebRtcTransport>
  producers: Map<string, types.Producer>
  consumers: Map<string, types.Consumer>
}

const MEDIA_CODECS: types.RouterRtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: { 'x-google-start-bitrate': 300 } },
]

/** Restart pause after a worker died: quick, but not a busy loop if it dies at once again. */
const RESTART_PAUSE_MS = 300

export function liveSettings() {
  const announced = env.get('LIVE_ANNOUNCED_ADDRESS') || new URL(env.get('APP_URL')).hostname
  return {
    workers: Math.max(1, env.get('LIVE_WORKERS') ?? availableParallelism()),
    listenIp: env.get('LIVE_LISTEN_IP') || '0.0.0.0',
    announcedAddress: announced === 'localhost' ? '127.0.0.1' : announced,
    port: env.get('LIVE_PORT') ?? 40000,
    workerBin: env.get('MEDIASOUP_WORKER_BIN') || undefined,
  }
}

export class Sfu {
  /** Rises each time a worker is restarted: pages compare it to know they must publish again. */
  epoch = 0
  private slots: Slot[] = []
  private peers = new Map<string, Peer>()
  /** The producer of each session's source, for the proctors' consumers. */
  private published = new Map<number, Map<Source, types.Producer>>()
  private started: Promise<void> | null = null
  private closing = false

  constructor(private push: Push) {}

  start() {
    this.started ??= (async () => {
      const settings = liveSettings()
      this.slots = Array.from({ length: settings.workers }, (_, index) => ({
        index,
        worker: null,
        server: null,
        routers: new Map(),
        starting: null,
      }))
      await Promise.all(this.slots.map((slot) => this.startWorker(slot)))
    })().catch((error) => {
      /* No worker binary, no free port: live video is unavailable; the next call tries again. */
      this.started = null
      for (const slot of this.slots) slot.worker?.close()
      logger.error({ err: error }, 'the SFU could not start its mediasoup workers')
      throw new AppError('LIVE_UNAVAILABLE', 503)
    })
    return this.started
  }

  /** Process ids of the workers (bench/live adds up their CPU; the restart test kills one). */
  workerPids() {
    return this.slots.map((slot) => slot.worker?.pid).filter((pid): pid is number => typeof pid === 'number')
  }

  private startWorker(slot: Slot): Promise<void> {
    slot.starting = (async () => {
      const settings = liveSettings()
      const worker = await mediasoup.createWorker({ logLevel: 'warn', workerBin: settings.workerBin })
      /* LIVE_PORT=0: any free port (the tests, where several app servers run at once). */
      const port = settings.port === 0 ? undefined : settings.port + slot.index
      const server = await worker.createWebRtcServer({
        listenInfos: [
          { protocol: 'udp', ip: settings.listenIp, announcedAddress: settings.announcedAddress, port },
          { protocol: 'tcp', ip: settings.listenIp, announcedAddress: settings.announcedAddress, port },
        ],
      })
      slot.worker = worker
      slot.server = server
      worker.on('died', () => this.workerDied(slot))
    })().finally(() => (slot.starting = null))
    return slot.starting
  }

  /** A worker died (crash, kill -9): start it again, forget what lived on it, tell the pages. */
  private workerDied(slot: Slot) {
    if (this.closing) return
    const examIds = [...slot.routers.keys()]
    slot.worker = null
    slot.server = null
    slot.routers.clear()
    this.epoch++
    for (const peer of this.peers.values()) this.forgetClosed(peer)
    for (const [sessionId, sources] of this.published) {
      for (const [source, producer] of sources) if (producer.closed) sources.delete(source)
      if (sources.size === 0) this.published.delete(sessionId)
    }
    setTimeout(() => {
      this.startWorker(slot)
        .then(() => this.push('all', { type: 'restart', epoch: this.epoch, examIds }))
        .catch(() => this.workerDied(slot))
    }, RESTART_PAUSE_MS)
  }

  private forgetClosed(peer: Peer) {
    for (const [id, transport] of peer.transports) if (transport.closed) peer.transports.delete(id)
    for (const [id, producer] of peer.producers) if (producer.closed) peer.producers.delete(id)
    for (const [id, consumer] of peer.consumers) if (consumer.closed) peer.consumers.delete(id)
  }

  private async routerFor(examId: number): Promise<{ router: types.Router; slot: Slot }> {
    await this.start()
    for (const slot of this.slots) {
      const router = slot.routers.get(examId)
      if (router && !router.closed) return { router, slot }
    }
    /* A new exam goes to the worker with the fewest routers that is running. */
    const running = this.slots.filter((slot) => slot.worker && !slot.worker.closed)
    if (running.length === 0) {
      await Promise.all(this.slots.map((slot) => slot.starting).filter(Boolean))
      if (!this.slots.some((slot) => slot.worker)) throw new AppError('LIVE_UNAVAILABLE', 503)
      return this.routerFor(examId)
    }
    const slot = running.reduce((best, next) => (next.routers.size < best.routers.size ? next : best))
    const router = await slot.worker!.createRouter({ mediaCodecs: MEDIA_CODECS })
    slot.routers.set(examId, router)
    return { router, slot }
  }

  private peer(peerId: string, owner: { sessionId?: number; userId?: number }) {
    const peer = this.peers.get(peerId)
    if (!peer) throw AppError.conflict('LIVE_PEER_GONE')
    const owned =
      peer.role === 'student' ? owner.sessionId !== undefined && peer.sessionId === owner.sessionId : owner.userId !== undefined && peer.userId === owner.userId
    if (!owned) throw AppError.forbidden('LIVE_FORBIDDEN')
    return peer
  }

  /* ------------------------------------------------------------ the peers' calls */

  async openPeer(input: PeerInput) {
    await this.start()
    this.peers.set(input.peerId, { ...input, transports: new Map(), producers: new Map(), consumers: new Map() })
    return { epoch: this.epoch }
  }

  closePeer({ peerId }: { peerId: string }) {
    const peer = this.peers.get(peerId)
    if (!peer) return
    this.peers.delete(peerId)
    for (const transport of peer.transports.values()) transport.close()
  }

  /** A send transport for a student (on the router of the exam), a receive one for staff (on the session's exam's). */
  async createTransport(input: { peerId: string; sessionId?: number; userId?: number; examId: number }) {
    const peer = this.peer(input.peerId, input)
    const examId = peer.role === 'student' ? peer.examId : input.examId
    const { router, slot } = await this.routerFor(examId)
    const transport = await router.createWebRtcTransport({
      webRtcServer: slot.server!,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: 600_000,
      appData: { direction: peer.role === 'student' ? 'send' : 'recv', examId },
    })
    peer.transports.set(transport.id, transport)
    transport.observer.once('close', () => peer.transports.delete(transport.id))
    return {
      id: transport.id,
      examId,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
      routerRtpCapabilities: router.rtpCapabilities,
    }
  }

  private transport(peer: Peer, transportId: string) {
    const transport = peer.transports.get(String(transportId))
    if (!transport || transport.closed) throw AppError.conflict('LIVE_TRANSPORT_GONE')
    return transport
  }

  async connect(input: { peerId: string; sessionId?: number; userId?: number; transportId: string; dtlsParameters: types.DtlsParameters }) {
    const peer = this.peer(input.peerId, input)
    await badInput(() => this.transport(peer, input.transportId).connect({ dtlsParameters: input.dtlsParameters }))
    return { connected: true }
  }

  /** A student's stream: only on its own send transport, only its own sources. */
  async produce(input: {
    peerId: string
    sessionId: number
    transportId: string
    kind: types.MediaKind
    rtpParameters: types.RtpParameters
    source: Source
  }) {
    const peer = this.peer(input.peerId, input)
    if (peer.role !== 'student' || !peer.sources.includes(input.source)) throw AppError.forbidden('LIVE_FORBIDDEN')
    if (input.kind !== 'video') throw AppError.badRequest('LIVE_BAD_REQUEST')
    const transport = this.transport(peer, input.transportId)
    const producer = await badInput(() =>
      transport.produce({ kind: input.kind, rtpParameters: input.rtpParameters, appData: { sessionId: peer.sessionId, source: input.source } })
    )
    /* A new stream of the same source (republish) replaces the old one. */
    const sources = this.published.get(peer.sessionId) ?? new Map<Source, types.Producer>()
    this.published.set(peer.sessionId, sources)
    const previous = sources.get(input.source)
    sources.set(input.source, producer)
    if (previous && previous !== producer) previous.close()
    peer.producers.set(producer.id, producer)
    producer.observer.once('close', () => {
      peer.producers.delete(producer.id)
      if (sources.get(input.source) === producer) {
        sources.delete(input.source)
        if (!this.closing) this.push(`watch:${peer.sessionId}`, { type: 'producer-closed', sessionId: peer.sessionId, source: input.source })
      }
    })
    this.push(`watch:${peer.sessionId}`, { type: 'producer', sessionId: peer.sessionId, source: input.source, examId: peer.examId })
    return { id: producer.id }
  }

  /**
   * bench/live only (LIVE_BENCH=1, see start/live.ts): a light publisher, plain RTP from an
   * ffmpeg that sends a pre-encoded VP8 file without re-encoding, as a session's webcam.
   * Proctors consume it exactly as a browser's stream. Answers where to send the RTP.
   */
  async benchProducer(input: { sessionId: number; examId: number; ssrc: number; payloadType: number }) {
    const { router } = await this.routerFor(input.examId)
    const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: true })
    const producer = await transport.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [{ mimeType: 'video/VP8', clockRate: 90000, payloadType: input.payloadType, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }] }],
        encodings: [{ ssrc: input.ssrc }],
      },
      appData: { sessionId: input.sessionId, source: 'webcam' },
    })
    const sources = this.published.get(input.sessionId) ?? new Map<Source, types.Producer>()
    this.published.set(input.sessionId, sources)
    sources.get('webcam')?.close()
    sources.set('webcam', producer)
    producer.observer.once('close', () => {
      if (sources.get('webcam') === producer) sources.delete('webcam')
    })
    this.push(`watch:${input.sessionId}`, { type: 'producer', sessionId: input.sessionId, source: 'webcam', examId: input.examId })
    return { ip: transport.tuple.localAddress, port: transport.tuple.localPort }
  }

  /** Which sources each session publishes now. */
  publishedSources({ sessionIds }: { sessionIds: number[] }) {
    const result: Record<number, Source[]> = {}
    for (const id of sessionIds) result[id] = [...(this.published.get(id)?.keys() ?? [])]
    return result
  }

  /** A proctor's view of one session's source, paused until the page has it, at the tile (lowest) layer. */
  async consume(input: {
    peerId: string
    userId: number
    transportId: string
    sessionId: number
    source: Source
    rtpCapabilities: types.RtpCapabilities
  }) {
    const peer = this.peer(input.peerId, input)
    if (peer.role !== 'staff') throw AppError.forbidden('LIVE_FORBIDDEN')
    const producer = this.published.get(input.sessionId)?.get(input.source)
    if (!producer || producer.closed) throw AppError.notFound('LIVE_NOT_PUBLISHING')
    const transport = this.transport(peer, input.transportId)
    const router = this.routerOfTransport(transport)
    if (!router || !(await badInput(async () => router.canConsume({ producerId: producer.id, rtpCapabilities: input.rtpCapabilities })))) {
      throw AppError.badRequest('LIVE_BAD_REQUEST')
    }
    const consumer = await transport.consume({
      producerId: producer.id,
      rtpCapabilities: input.rtpCapabilities,
      paused: true,
      preferredLayers: { spatialLayer: 0 },
      appData: { sessionId: input.sessionId, source: input.source },
    })
    peer.consumers.set(consumer.id, consumer)
    consumer.observer.once('close', () => peer.consumers.delete(consumer.id))
    consumer.on('producerclose', () => this.push(`peer:${peer.peerId}`, { type: 'consumer-closed', consumerId: consumer.id }))
    return { id: consumer.id, producerId: producer.id, kind: consumer.kind, rtpParameters: consumer.rtpParameters }
  }

  private routerOfTransport(transport: types.WebRtcTransport) {
    const examId = Number(transport.appData.examId)
    for (const slot of this.slots) {
      const router = slot.routers.get(examId)
      if (router && !router.closed) return router
    }
    return null
  }

  private consumer(input: { peerId: string; userId: number; consumerId: string }) {
    const peer = this.peer(input.peerId, input)
    const consumer = peer.consumers.get(String(input.consumerId))
    if (!consumer || consumer.closed) throw AppError.conflict('LIVE_CONSUMER_GONE')
    return consumer
  }

  async resume(input: { peerId: string; userId: number; consumerId: string }) {
    await this.consumer(input).resume()
    return { resumed: true }
  }

  /** Enlarged tile: the larger simulcast layer; back to the tile: the smallest. */
  async setLayer(input: { peerId: string; userId: number; consumerId: string; large: boolean }) {
    const consumer = this.consumer(input)
    await consumer.setPreferredLayers({ spatialLayer: input.large ? 2 : 0 })
    await consumer.setPriority(input.large ? 255 : 1)
    return { large: input.large }
  }

  async close() {
    this.closing = true
    for (const slot of this.slots) slot.worker?.close()
  }
}

/** mediasoup refuses malformed parameters with a TypeError: that is the caller's bad input. */
async function badInput<T>(run: () => Promise<T> | T): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (error instanceof TypeError || (error as Error)?.name === 'TypeError' || (error as Error)?.name === 'UnsupportedError') {
      throw AppError.badRequest('LIVE_BAD_REQUEST')
    }
    throw error
  }
}

export function newPeerId() {
  return randomUUID()
}
