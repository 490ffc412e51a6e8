// Browser smoke test of a mediasoup-worker binary: the DTLS/SRTP path with real WebRTC.
//
//   MEDIASOUP_WORKER_BIN=$(scripts/mediasoup_worker.sh | tail -n1) \
//     node_modules/.bin/node scripts/mediasoup_smoke_browser.mjs
//
// Headless Chromium (/usr/bin/chromium, or CHROMIUM_PATH) loads a page served from 127.0.0.1
// with mediasoup-client (bundled here with esbuild, in memory), sends its fake camera and
// microphone through a WebRtcTransport of a WebRtcServer (ICE over UDP) and receives the video
// back on a second transport that offers only ICE over TCP. Passes when the browser decoded
// frames of the video it got back. This is the check for the kernel-TLS BIO fix: without it a
// worker built against Debian's OpenSSL dies on the first DTLS ClientHello.
// Prints "OK ..." and exits 0; otherwise prints the reason on stderr and exits 1.
import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { freeTcpUdpPort, smokeRun } from './mediasoup_smoke_lib.mjs'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const TIMEOUT_MS = Number(process.env.SMOKE_TIMEOUT_MS ?? 60000)
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

if (!process.env.MEDIASOUP_WORKER_BIN) {
  console.error('mediasoup browser smoke: set MEDIASOUP_WORKER_BIN to the worker binary')
  process.exit(2)
}

const mediasoup = await import('mediasoup')
const esbuild = await import('esbuild')
const { chromium } = await import('playwright-core')

const { cleanups, cleanup, fail } = smokeRun('mediasoup browser smoke')
const timer = setTimeout(() => fail(`no result in ${TIMEOUT_MS} ms`), TIMEOUT_MS)


// The page's code: mediasoup-client in the browser, talking to this script over fetch().
const PAGE_SCRIPT = `
import { Device } from 'mediasoup-client'

async function rpc(method, data = {}) {
  const res = await fetch('/rpc', { method: 'POST', body: JSON.stringify({ method, data }) })
  const body = await res.json()
  if (body.error) throw new Error(method + ': ' + body.error)
  return body.result
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

function wire(transport) {
  transport.on('connect', ({ dtlsParameters }, ok, ko) =>
    rpc('connect', { id: transport.id, dtlsParameters }).then(ok, ko))
  transport.on('produce', ({ kind, rtpParameters }, ok, ko) =>
    rpc('produce', { id: transport.id, kind, rtpParameters }).then(ok, ko))
  return transport
}

window.runSmoke = async () => {
  const device = new Device()
  await device.load({ routerRtpCapabilities: await rpc('capabilities') })
  const send = wire(device.createSendTransport(await rpc('createTransport', { tcpOnly: false })))
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: true,
    video: { width: 320, height: 240, frameRate: 15 },
  })
  const video = await send.produce({ track: stream.getVideoTracks()[0] })
  const audio = await send.produce({ track: stream.getAudioTracks()[0] })

  const recv = wire(device.createRecvTransport(await rpc('createTransport', { tcpOnly: true })))
  const info = await rpc('consume', {
    id: recv.id,
    producerId: video.id,
    rtpCapabilities: device.rtpCapabilities,
  })
  const consumer = await recv.consume(info)
  await rpc('resume', { id: info.id })

  let framesDecoded = 0
  let srtpCipher = ''
  let dtlsCipher = ''
  for (let i = 0; i < 120 && framesDecoded < 10; i++) {
    await sleep(250)
    for (const s of (await consumer.getStats()).values()) {
      if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded = s.framesDecoded ?? 0
      if (s.type === 'transport') {
        srtpCipher = s.srtpCipher ?? srtpCipher
        dtlsCipher = s.dtlsCipher ?? dtlsCipher
      }
    }
  }
  let candidateProtocol = ''
  for (const s of (await consumer.getStats()).values()) {
    if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated) {
      const remote = (await consumer.getStats()).get(s.remoteCandidateId)
      candidateProtocol = remote ? remote.protocol : ''
    }
  }
  return { framesDecoded, srtpCipher, dtlsCipher, candidateProtocol, audioProducer: audio.id }
}
`

try {
  const bundle = await esbuild.build({
    stdin: { contents: PAGE_SCRIPT, resolveDir: ROOT, sourcefile: 'smoke-page.js' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  })
  const bundleJs = bundle.outputFiles[0].text

  const worker = await mediasoup.createWorker({ logLevel: 'warn', rtcMinPort: 40000, rtcMaxPort: 49999 })
  cleanups.push(() => worker.close())
  worker.on('died', (error) => fail(`worker died: ${error?.message ?? error}`))
  const router = await worker.createRouter({
    mediaCodecs: [
      { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
      { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
    ],
  })
  const port = await freeTcpUdpPort()
  const webRtcServer = await worker.createWebRtcServer({
    listenInfos: [
      { protocol: 'udp', ip: '127.0.0.1', port },
      { protocol: 'tcp', ip: '127.0.0.1', port },
    ],
  })

  const transports = new Map()
  const consumers = new Map()
  const dtlsStates = []
  const handlers = {
    capabilities: async () => router.rtpCapabilities,
    createTransport: async ({ tcpOnly }) => {
      const t = await router.createWebRtcTransport({
        webRtcServer,
        enableUdp: !tcpOnly,
        enableTcp: true,
        preferUdp: !tcpOnly,
      })
      t.on('dtlsstatechange', (state) => dtlsStates.push(`${tcpOnly ? 'recv' : 'send'}:${state}`))
      transports.set(t.id, t)
      return {
        id: t.id,
        iceParameters: t.iceParameters,
        iceCandidates: t.iceCandidates,
        dtlsParameters: t.dtlsParameters,
      }
    },
    connect: async ({ id, dtlsParameters }) => {
      await transports.get(id).connect({ dtlsParameters })
      return {}
    },
    produce: async ({ id, kind, rtpParameters }) => {
      const producer = await transports.get(id).produce({ kind, rtpParameters })
      return { id: producer.id }
    },
    consume: async ({ id, producerId, rtpCapabilities }) => {
      const consumer = await transports.get(id).consume({ producerId, rtpCapabilities, paused: true })
      consumers.set(consumer.id, consumer)
      return { id: consumer.id, producerId, kind: consumer.kind, rtpParameters: consumer.rtpParameters }
    },
    resume: async ({ id }) => {
      await consumers.get(id).resume()
      return {}
    },
  }

  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('<!doctype html><meta charset="utf-8"><title>smoke</title><script src="/smoke.js"></script>')
    } else if (req.method === 'GET' && req.url === '/smoke.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' })
      res.end(bundleJs)
    } else if (req.method === 'POST' && req.url === '/rpc') {
      let body = ''
      req.on('data', (d) => (body += d))
      req.on('end', async () => {
        let reply
        try {
          const { method, data } = JSON.parse(body)
          reply = { result: await handlers[method](data) }
        } catch (error) {
          reply = { error: String(error?.message ?? error) }
        }
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify(reply))
      })
    } else {
      res.writeHead(404)
      res.end()
    }
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  cleanups.push(() => new Promise((r) => server.close(r)))

  const profile = await mkdtemp(join(tmpdir(), 'mediasoup-smoke-chromium-'))
  cleanups.push(() => rm(profile, { recursive: true, force: true }))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-quic', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns',
    ],
  })
  cleanups.push(() => context.close())
  const page = await context.newPage()
  const pageErrors = []
  page.on('pageerror', (e) => pageErrors.push(String(e)))
  await page.goto(`http://127.0.0.1:${server.address().port}/`)
  const result = await page.evaluate(() => window.runSmoke())

  if (result.framesDecoded <= 0) {
    throw new Error(
      `the browser decoded no frames (${JSON.stringify(result)}; DTLS: ${dtlsStates.join(' ')}; ` +
        `page errors: ${pageErrors.join(' | ')})`
    )
  }
  if (!dtlsStates.includes('send:connected') || !dtlsStates.includes('recv:connected')) {
    throw new Error(`DTLS did not connect on both transports: ${dtlsStates.join(' ')}`)
  }
  const usage = await worker.getResourceUsage()
  clearTimeout(timer)
  console.log(
    `OK mediasoup ${mediasoup.version} with Chromium: ${result.framesDecoded} frames decoded, ` +
      `DTLS ${result.dtlsCipher || '?'}, SRTP ${result.srtpCipher || '?'}, ` +
      `receive path ICE over ${result.candidateProtocol || '?'}, WebRtcServer :${port}, ` +
      `worker maxrss ${usage.ru_maxrss} KB`
  )
  await cleanup()
  process.exit(0)
} catch (error) {
  fail(error?.stack ?? String(error))
}
