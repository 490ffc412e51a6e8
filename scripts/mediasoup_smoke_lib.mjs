// Shared by the two mediasoup smoke checks (scripts/mediasoup_smoke.mjs and _browser.mjs).
import dgram from 'node:dgram'
import net from 'node:net'

/** A port that is free for both TCP and UDP on 127.0.0.1 (the WebRtcServer listens on both). */
export async function freeTcpUdpPort() {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise((resolve, reject) => {
      const srv = net.createServer()
      srv.once('error', reject)
      srv.listen(0, '127.0.0.1', () => {
        const p = srv.address().port
        srv.close(() => resolve(p))
      })
    })
    const udpFree = await new Promise((resolve) => {
      const sock = dgram.createSocket('udp4')
      sock.once('error', () => resolve(false))
      sock.bind(port, '127.0.0.1', () => sock.close(() => resolve(true)))
    })
    if (udpFree) return port
  }
  throw new Error('no free TCP+UDP port found')
}

/**
 * A check's clean-up list and its one failure exit: `cleanups` run last-first, `fail` prints
 * once, cleans up and exits 1.
 */
export function smokeRun(label, before = () => {}) {
  const cleanups = []
  async function cleanup() {
    before()
    for (const fn of cleanups.reverse()) {
      try {
        await fn()
      } catch {}
    }
  }
  let failed = false
  function fail(message) {
    if (failed) return
    failed = true
    console.error(`${label}: FAILED: ${message}`)
    cleanup().finally(() => process.exit(1))
  }
  return { cleanups, cleanup, fail }
}
