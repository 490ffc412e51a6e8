import type { Device, types } from 'mediasoup-client'

/**
 * Reads one of the app's live event streams (newline-separated JSON, see
 * app/services/live/live.ts) until it ends or the connection drops. fetch, not EventSource:
 * the student's page must send its token in a header.
 */
export async function readEvents(url: string, headers: Record<string, string>, onMessage: (message: any) => void, signal?: AbortSignal) {
  const response = await fetch(url, { headers, signal, cache: 'no-store' })
  if (!response.ok || !response.body) {
    await response.body?.cancel()
    throw new Error(`events: ${response.status}`)
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  let buffered = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return
    buffered += value
    let newline: number
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).trim()
      buffered = buffered.slice(newline + 1)
      if (line) onMessage(JSON.parse(line))
    }
  }
}

/** A short two-tone chime (no sound file to fetch): a new chat message. */
export function chime() {
  try {
    const context = new AudioContext()
    const gain = context.createGain()
    gain.gain.value = 0.08
    gain.connect(context.destination)
    ;[880, 1320].forEach((frequency, index) => {
      const tone = context.createOscillator()
      tone.frequency.value = frequency
      tone.connect(gain)
      tone.start(context.currentTime + index * 0.12)
      tone.stop(context.currentTime + index * 0.12 + 0.1)
    })
    setTimeout(() => void context.close(), 600)
  } catch {
    /* No audio output: the unread mark is enough. */
  }
}

/**
 * The app's answer to a transport request as mediasoup-client's transport options, the device
 * loaded first with the router's capabilities (the student's send and the proctor's receive
 * transports alike).
 */
export async function transportOptions(device: Device, params: any): Promise<types.TransportOptions> {
  if (!device.loaded) await device.load({ routerRtpCapabilities: params.routerRtpCapabilities })
  return {
    id: params.id,
    iceParameters: params.iceParameters,
    iceCandidates: params.iceCandidates,
    dtlsParameters: params.dtlsParameters,
    iceServers: params.iceServers,
    iceTransportPolicy: params.iceTransportPolicy,
  }
}
