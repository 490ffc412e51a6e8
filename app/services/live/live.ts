import cluster from 'node:cluster'
import { randomUUID } from 'node:crypto'
import { PassThrough } from 'node:stream'
import logger from '@adonisjs/core/services/logger'
import type { HttpContext } from '@adonisjs/core/http'
import AppError from '#exceptions/app_error'
import { Sfu } from '#services/live/sfu'

/**
 * Where live calls go. The SFU runs in one web process (the first, as the scheduler does);
 * with several web processes (node:cluster) the others hand their calls to it through the
 * supervisor (bin/server.ts relays the messages), and every message for the pages reaches
 * every process, which writes it to the event streams it holds. With one process, both are
 * plain calls.
 */

type SfuOp = 'openPeer' | 'closePeer' | 'createTransport' | 'connect' | 'produce' | 'publishedSources' | 'consume' | 'resume' | 'setLayer' | 'workerPids' | 'benchProducer'

type RelayMessage =
  | { live: 'rpc'; id: string; from: number; op: SfuOp; args: unknown }
  | { live: 'reply'; id: string; to: number; result?: unknown; error?: { code: string; status: number; message: string } }
  | { live: 'push'; channel: string; message: Record<string, unknown> }

const clustered = cluster.isWorker
const processIndex = Number(process.env.WEB_PROCESS_INDEX ?? 0)
const isHost = !clustered || processIndex === 0
const RPC_TIMEOUT_MS = 15_000

let sfu: Sfu | null = null
const pending = new Map<string, { resolve: (value: any) => void; reject: (error: unknown) => void; timer: NodeJS.Timeout }>()

function hostSfu() {
  sfu ??= new Sfu(publish)
  return sfu
}

/** Calls the SFU wherever it runs. Errors keep their code (AppError) across processes. */
export async function sfuCall<T = any>(op: SfuOp, args: unknown = {}): Promise<T> {
  if (isHost) return (hostSfu() as any)[op](args)
  const id = randomUUID()
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id)
      reject(new AppError('LIVE_UNAVAILABLE', 503))
    }, RPC_TIMEOUT_MS)
    pending.set(id, { resolve, reject, timer })
    process.send!({ live: 'rpc', id, from: processIndex, op, args } satisfies RelayMessage)
  })
}

/** Sends a message to every event stream listening on the channel, in every web process. */
export function publish(channel: string, message: Record<string, unknown>) {
  if (clustered) process.send!({ live: 'push', channel, message } satisfies RelayMessage)
  else deliver(channel, message)
}

if (clustered) {
  process.on('message', (raw: unknown) => {
    const message = raw as RelayMessage
    if (!message || typeof message !== 'object' || !('live' in message)) return
    if (message.live === 'push') deliver(message.channel, message.message)
    else if (message.live === 'reply') {
      const waiting = pending.get(message.id)
      if (!waiting) return
      pending.delete(message.id)
      clearTimeout(waiting.timer)
      if (message.error) waiting.reject(new AppError(message.error.code, message.error.status))
      else waiting.resolve(message.result)
    } else if (message.live === 'rpc' && isHost) {
      Promise.resolve()
        .then(() => (hostSfu() as any)[message.op](message.args))
        .then(
          (result) => process.send!({ live: 'reply', id: message.id, to: message.from, result } satisfies RelayMessage),
          (error: any) => {
            if (!(error instanceof AppError)) logger.error({ err: error }, 'live call failed')
            const code = error instanceof AppError ? String(error.code) : 'LIVE_UNAVAILABLE'
            const status = error instanceof AppError ? error.status : 503
            process.send!({ live: 'reply', id: message.id, to: message.from, error: { code, status, message: String(error?.message) } } satisfies RelayMessage)
          }
        )
    }
  })
}

/* ------------------------------------------------------------------ event streams */

type Stream = { channels: Set<string>; write: (message: Record<string, unknown>) => void; close: () => void }
const streams = new Set<Stream>()
/** The streams each owner has open in this process, oldest first. */
const byOwner = new Map<string, Stream[]>()

/**
 * What may wait for a reader that stopped reading (a page frozen in the background, a client
 * that never reads) before its stream is cut; a page opens its stream again.
 */
const MAX_BACKLOG_BYTES = 1024 * 1024

function deliver(channel: string, message: Record<string, unknown>) {
  for (const stream of streams) if (stream.channels.has(channel)) stream.write(message)
}

/**
 * An event stream for one page: newline-separated JSON, kept open, an empty line every 20 s
 * so proxies keep it. The page reads it with fetch (a student's token travels in a header,
 * which EventSource cannot send). `onMessage` may change the channels (a proctor adds a tile).
 * An owner (a session's page or phone, a staff user) holds at most `most` streams in a
 * process: one more closes its oldest (a reload's old page, or a client opening streams,
 * and SFU peers with them, over and over).
 */
export function openStream(
  response: HttpContext['response'],
  options: {
    owner: string
    most: number
    channels: string[]
    first: Record<string, unknown>
    onMessage?: (message: Record<string, unknown>, channels: Set<string>) => void
    onClose: () => void
  }
) {
  const body = new PassThrough()
  const send = (text: string) => {
    if (body.writableLength + body.readableLength > MAX_BACKLOG_BYTES) stream.close()
    else body.write(text)
  }
  const stream: Stream = {
    channels: new Set(options.channels),
    write: (message) => {
      options.onMessage?.(message, stream.channels)
      send(`${JSON.stringify(message)}\n`)
    },
    close: () => response.response.destroy(),
  }
  const owned = byOwner.get(options.owner) ?? []
  while (owned.length >= options.most) owned.shift()!.close()
  owned.push(stream)
  byOwner.set(options.owner, owned)
  streams.add(stream)
  send(`${JSON.stringify(options.first)}\n`)
  const keepAlive = setInterval(() => send('\n'), 20_000)
  /* The page went away (or the connection dropped, or was cut here): the stream and what it held go. */
  response.response.once('close', () => {
    clearInterval(keepAlive)
    streams.delete(stream)
    const left = (byOwner.get(options.owner) ?? []).filter((other) => other !== stream)
    if (left.length) byOwner.set(options.owner, left)
    else byOwner.delete(options.owner)
    options.onClose()
    body.destroy()
  })
  response.header('content-type', 'application/x-ndjson; charset=utf-8')
  response.header('cache-control', 'no-store')
  /* nginx: pass each line on at once. */
  response.header('x-accel-buffering', 'no')
  response.stream(body)
}

/** Stops the SFU's workers (app shutdown). */
export async function closeLive() {
  await sfu?.close()
}
