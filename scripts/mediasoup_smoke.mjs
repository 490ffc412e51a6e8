// Smoke test of a mediasoup-worker binary (the one scripts/mediasoup_worker.sh prints):
//
//   MEDIASOUP_WORKER_BIN=$(scripts/mediasoup_worker.sh | tail -n1) \
//     node_modules/.bin/node scripts/mediasoup_smoke.mjs
//
// It starts a worker, a router (VP8 + Opus), a WebRtcServer on 127.0.0.1 (one free port for
// UDP and TCP) with a WebRtcTransport on it, then sends a short VP8 RTP stream from ffmpeg
// through the worker:
//   ffmpeg --RTP/RTCP--> PlainTransport A (producer)
//     --> pipeToRouter with SRTP (AEAD_AES_256_GCM between two PipeTransports: the libsrtp2 port)
//     --> consumer on PlainTransport B --RTP--> a UDP socket of this script.
// Passes when the socket got VP8 RTP packets and the consumer's stats count bytes.
// Prints "OK ..." and exits 0; otherwise prints the reason on stderr and exits 1.
import { spawn } from 'node:child_process'
import dgram from 'node:dgram'
import process from 'node:process'
import { freeTcpUdpPort, smokeRun } from './mediasoup_smoke_lib.mjs'

const TIMEOUT_MS = Number(process.env.SMOKE_TIMEOUT_MS ?? 30000)
const bin = process.env.MEDIASOUP_WORKER_BIN
if (!bin) {
  console.error('mediasoup smoke: set MEDIASOUP_WORKER_BIN to the worker binary')
  process.exit(2)
}

const { createWorker } = await import('mediasoup')

let ffmpeg
const { cleanups, cleanup, fail } = smokeRun('mediasoup smoke', () => {
  if (ffmpeg && ffmpeg.exitCode === null) ffmpeg.kill('SIGKILL')
})

const timer = setTimeout(() => fail(`no result in ${TIMEOUT_MS} ms`), TIMEOUT_MS)


try {
  const worker = await createWorker({
    logLevel: process.env.SMOKE_LOG_LEVEL ?? 'warn',
    logTags: ['rtp', 'rtcp', 'srtp', 'dtls', 'ice'],
    rtcMinPort: 40000,
    rtcMaxPort: 49999,
  })
  cleanups.push(() => worker.close())
  worker.on('died', (error) => fail(`worker died: ${error?.message ?? error}`))

  const mediaCodecs = [
    { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
    { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
  ]
  const router = await worker.createRouter({ mediaCodecs })
  const router2 = await worker.createRouter({ mediaCodecs })

  // WebRtcServer + WebRtcTransport: ICE candidates on UDP and TCP of one port.
  const port = await freeTcpUdpPort()
  const webRtcServer = await worker.createWebRtcServer({
    listenInfos: [
      { protocol: 'udp', ip: '127.0.0.1', port },
      { protocol: 'tcp', ip: '127.0.0.1', port },
    ],
  })
  const webRtcTransport = await router.createWebRtcTransport({
    webRtcServer,
    enableUdp: true,
    enableTcp: true,
  })
  const protocols = new Set(webRtcTransport.iceCandidates.map((c) => `${c.protocol}:${c.port}`))
  if (!protocols.has(`udp:${port}`) || !protocols.has(`tcp:${port}`)) {
    throw new Error(`unexpected ICE candidates: ${JSON.stringify(webRtcTransport.iceCandidates)}`)
  }
  if (webRtcTransport.dtlsParameters.fingerprints.length === 0) throw new Error('no DTLS fingerprints')

  // The receiving end: a UDP socket of ours.
  const sink = dgram.createSocket('udp4')
  cleanups.push(() => new Promise((r) => sink.close(r)))
  let rtpPackets = 0
  let rtpBytes = 0
  let consumerPayloadType = -1
  sink.on('message', (msg) => {
    // RTP version 2 with the consumer's payload type (RTCP has types 200-206 in byte 1).
    if (msg.length >= 12 && msg[0] >> 6 === 2 && (msg[1] & 0x7f) === consumerPayloadType) {
      rtpPackets++
      rtpBytes += msg.length
    }
  })
  await new Promise((r) => sink.bind(0, '127.0.0.1', r))

  // Producer side: ffmpeg sends plain RTP to transport A. ffmpeg sends RTCP from a socket of
  // its own, so A has a separate RTCP port (comedia learns each source address).
  const transportA = await router.createPlainTransport({
    listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
    rtcpMux: false,
    comedia: true,
  })
  const ssrc = 22222222
  const payloadType = 101
  const producer = await transportA.produce({
    kind: 'video',
    rtpParameters: {
      codecs: [{ mimeType: 'video/VP8', payloadType, clockRate: 90000 }],
      encodings: [{ ssrc }],
    },
  })

  // Through a second router over SRTP-protected PipeTransports (same worker: new ids).
  const { pipeProducer } = await router.pipeToRouter({
    producerId: producer.id,
    router: router2,
    keepId: false,
    enableSrtp: true,
  })

  // Consumer side: transport B sends plain RTP to our socket.
  const transportB = await router2.createPlainTransport({
    listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
    rtcpMux: true,
    comedia: false,
  })
  await transportB.connect({ ip: '127.0.0.1', port: sink.address().port })
  const consumer = await transportB.consume({
    producerId: pipeProducer.id,
    rtpCapabilities: router2.rtpCapabilities,
    paused: false,
  })
  consumerPayloadType = consumer.rtpParameters.codecs[0].payloadType

  const target = `rtp://127.0.0.1:${transportA.tuple.localPort}?rtcpport=${transportA.rtcpTuple.localPort}&pkt_size=1200`
  ffmpeg = spawn(
    process.env.FFMPEG ?? 'ffmpeg',
    [
      '-hide_banner', '-loglevel', 'error', '-nostdin',
      '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=15', '-t', '4',
      '-an', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k', '-g', '15',
      '-payload_type', String(payloadType), '-ssrc', String(ssrc),
      '-f', 'rtp', target,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] }
  )
  let ffmpegErr = ''
  ffmpeg.stderr.on('data', (d) => (ffmpegErr += d))
  const ffmpegExit = await new Promise((resolve) => {
    ffmpeg.once('error', (e) => resolve(`spawn error: ${e.message}`))
    ffmpeg.once('exit', (code) => resolve(code))
  })
  if (ffmpegExit !== 0) throw new Error(`ffmpeg failed (${ffmpegExit}): ${ffmpegErr.trim()}`)
  await new Promise((r) => setTimeout(r, 300))

  const producerStats = await producer.getStats()
  const consumerStats = await consumer.getStats()
  const inBytes = producerStats.find((s) => s.type === 'inbound-rtp')?.byteCount ?? 0
  const outBytes = consumerStats.find((s) => s.type === 'outbound-rtp')?.byteCount ?? 0

  if (inBytes <= 0) {
    throw new Error(`the producer received no RTP from ffmpeg: ${JSON.stringify(await transportA.getStats())}`)
  }
  if (outBytes <= 0) throw new Error(`the consumer sent nothing (producer got ${inBytes} bytes)`)
  if (rtpPackets <= 0) throw new Error(`no RTP reached the receiving socket (consumer stats: ${outBytes} bytes)`)

  clearTimeout(timer)
  console.log(
    `OK mediasoup ${(await import('mediasoup')).version} worker ${bin}: WebRtcServer udp+tcp :${port}, ` +
      `producer got ${inBytes} B, consumer (via SRTP pipe) sent ${outBytes} B, socket got ${rtpPackets} RTP packets (${rtpBytes} B)`
  )
  await cleanup()
  process.exit(0)
} catch (error) {
  fail(error?.stack ?? String(error))
}
