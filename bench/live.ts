/*
| bench/live: the CPU of live proctoring per publisher (issue 12). The SFU (the app's
| mediasoup workers) and the web app that signals for it, measured together while one
| proctor's real Chromium page (/staff/live) watches every publisher's tile at the tile layer.
| Publishers are light RTP sources, so that the measurement fits a 2-core machine: one ffmpeg
| each, sending a pre-encoded 320x240 VP8 file (15 fps, ~150 kbit/s, a key frame every second)
| without re-encoding, into a PlainTransport the app opens for it (LIVE_BENCH=1, start/live.ts)
| as that session's webcam. The page consumes them exactly as it consumes a browser's stream.
| Steps of N publishers (10, 30, 60): add up to N, wait until every tile decodes, let it settle,
| then count the CPU (user + system, /proc) of the app process and of its mediasoup workers.
| Tiles count as decoding when their framesDecoded (the page's own getStats) rose in the window.
| Prints its figure last.
|
| Settings (environment): STEPS ("10,30,60"), SETTLE_SECONDS (5), MEASURE_SECONDS (20),
| EXAMS (2: the sessions are spread over this many exams, a router each), LIVE_WORKERS (the
| app's default: one per core), MEDIASOUP_WORKER_BIN (bench/live finds it with
| scripts/mediasoup_worker.sh when it is not given).
*/
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { cpus } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { BrowserContext, Page } from 'playwright-core'
import { appEnv, run } from './lib.js'
import { freePort } from '../tests/helpers/app_server.js'
import { launchBrowser } from '../tests/helpers/browser.js'

const STEPS = (process.env.STEPS ?? '10,30,60').split(',').map(Number).filter((n) => n > 0)
const N_MAX = Math.max(...STEPS)
const SETTLE_SECONDS = Number(process.env.SETTLE_SECONDS ?? 5)
const MEASURE_SECONDS = Number(process.env.MEASURE_SECONDS ?? 20)
const EXAMS = Math.max(1, Number(process.env.EXAMS ?? 2))
const TARGET = 100
const NODE = process.execPath
const DATA = 'tmp/bench-live'
const MEDIA = 'tmp/media'
const SAMPLES = 'node_modules/@vladmandic/face-api/demo'
const CLIP = `${MEDIA}/live-tile-320x240-15fps.ivf`
const CLIP_SECONDS = 10
const PAYLOAD_TYPE = 101
const PROCTOR = { email: 'proctor@bench-live.kz', password: 'bench-live-password' }

if (!process.env.MEDIASOUP_WORKER_BIN) throw new Error('MEDIASOUP_WORKER_BIN is not set (bench/live sets it from scripts/mediasoup_worker.sh)')
const TICKS = Number((await run('getconf', ['CLK_TCK'])).stdout.trim()) || 100

/* ------------------------------------------------------------------ CPU from /proc */

/** CPU seconds (user + system) of one process, all its threads; 0 when it is gone. */
function cpuOfPid(pid: number) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS
  } catch {
    return 0
  }
}

const cpuOfPids = (pids: number[]) => pids.reduce((sum, pid) => sum + cpuOfPid(pid), 0)

/** Busy CPU seconds of the whole machine (every core), for the contention beside the figure. */
function machineBusy() {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)
  const [user, nice, system, , , irq, softirq, steal] = values.map(Number)
  return (user + nice + system + irq + softirq + steal) / TICKS
}

/* ------------------------------------------------------------------ media */

/** A webcam-like tile clip: a face photo with sensor noise, VP8, made once, played in a loop. */
async function tileClip() {
  await mkdir(MEDIA, { recursive: true })
  if (!existsSync(CLIP)) {
    await run('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-framerate', '15', '-t', String(CLIP_SECONDS), '-i', `${SAMPLES}/sample3.jpg`,
      '-vf', "crop=720:540:336:165,scale=320:240,setsar=1,noise=alls=10:allf=t,rotate='0.03*sin(2*PI*t/3)',format=yuv420p",
      '-c:v', 'libvpx', '-deadline', 'good', '-cpu-used', '4', '-b:v', '150k', '-minrate', '120k', '-maxrate', '180k',
      '-g', '15', '-keyint_min', '15', '-auto-alt-ref', '0', '-lag-in-frames', '0', '-t', String(CLIP_SECONDS), '-an', '-f', 'ivf', `${CLIP}.part`])
    await run('mv', [`${CLIP}.part`, CLIP])
  }
  return { kbps: (statSync(CLIP).size * 8) / CLIP_SECONDS / 1000 }
}

/* ------------------------------------------------------------------ the app */

/** The bench hook of the app (start/live.ts): asks by IPC message, answers by message. */
class BenchHook {
  private next = 0
  private waiting = new Map<number, { resolve: (value: any) => void; reject: (error: Error) => void }>()

  constructor(private server: ChildProcess) {
    server.on('message', (message: any) => {
      const waiting = message && this.waiting.get(message.benchReply)
      if (!waiting) return
      this.waiting.delete(message.benchReply)
      if (message.error) waiting.reject(new Error(message.error))
      else waiting.resolve(message.result)
    })
  }

  ask<T>(bench: string, args?: unknown): Promise<T> {
    const id = ++this.next
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject })
      this.server.send({ bench, id, args })
      setTimeout(() => {
        if (this.waiting.delete(id)) reject(new Error(`no answer to ${bench} in 15 s`))
      }, 15_000)
    })
  }
}

/** A scratch appliance: migrations, the demo seed, EXAMS exams, N_MAX sessions running, one proctor watching them all. */
async function prepare(env: NodeJS.ProcessEnv) {
  await rm(DATA, { recursive: true, force: true })
  await run(NODE, ['ace.js', 'migration:run', '--force'], { env })
  await run(NODE, ['ace.js', 'db:seed'], { env })
  await run(NODE, ['ace.js', 'user:create', '--email', PROCTOR.email, '--name', 'Bench Proctor', '--role', 'proctor', '--password', PROCTOR.password], { env })

  const db = new Database(join(DATA, 'proctor.sqlite3'))
  db.pragma('busy_timeout = 15000')
  db.prepare('update exams set violation_limit = 0, reconnect_window_seconds = 36000').run()
  const firstExam = (db.prepare('select id from exams order by id limit 1').get() as { id: number }).id
  const columns = (db.prepare('pragma table_info(exams)').all() as { name: string }[]).map((c) => c.name).filter((name) => name !== 'id')
  const copied = columns.map((name) => (name === 'title' ? `title || ' ' || ?` : name))
  const copyExam = db.prepare(`insert into exams (${columns.join(', ')}) select ${copied.join(', ')} from exams where id = ?`)
  const now = new Date().toISOString().replace('T', ' ').slice(0, 19)
  const userId = (db.prepare('select id from users where email = ?').get(PROCTOR.email) as { id: number }).id
  const addCandidate = db.prepare('insert into candidates (full_name, external_id, created_at) values (?, ?, ?)')
  const addSession = db.prepare(
    `insert into proctoring_sessions (public_id, exam_id, candidate_id, status, decision, archived, violation_count, started_at, created_at)
     values (?, ?, ?, 'in_progress', 'none', 0, 0, ?, ?)`
  )
  const watch = db.prepare('insert into live_watch_items (user_id, session_id, created_at) values (?, ?, ?)')
  const sessions: { id: number; publicId: string; examId: number }[] = []
  db.transaction(() => {
    const examIds = [firstExam]
    for (let e = 1; e < EXAMS; e++) examIds.push(Number(copyExam.run(`(${e + 1})`, firstExam).lastInsertRowid))
    for (let i = 0; i < N_MAX; i++) {
      const candidate = addCandidate.run(`Студент ${String(i + 1).padStart(2, '0')}`, `bench-live-${i}`, now).lastInsertRowid
      const publicId = randomUUID()
      const examId = examIds[i % examIds.length]
      const id = Number(addSession.run(publicId, examId, candidate, now, now).lastInsertRowid)
      watch.run(userId, id, now)
      sessions.push({ id, publicId, examId })
    }
  })()
  db.close()
  return sessions
}

/* ------------------------------------------------------------------ the proctor's page */

type TileStats = Record<string, number>

/** framesDecoded of every tile's webcam consumer (the page's getStats), by session public id. */
function tileFrames(page: Page): Promise<TileStats> {
  return page.evaluate(async () => {
    const tiles: Map<number, any> = (window as any).live.tiles
    const result: Record<string, number> = {}
    for (const view of tiles.values()) {
      const consumer = view.consumers.get('webcam')
      if (!consumer) continue
      const stats: RTCStatsReport = await consumer.getStats()
      for (const report of stats.values()) {
        if (report.type === 'inbound-rtp' && report.kind === 'video') result[view.data.publicId] = report.framesDecoded ?? 0
      }
    }
    return result
  })
}

/** How many of `ids` decoded frames between two looks `seconds` apart. */
async function decodingTiles(page: Page, ids: string[], seconds = 1.5) {
  const first = await tileFrames(page)
  await sleep(seconds * 1000)
  const second = await tileFrames(page)
  return ids.filter((id) => (second[id] ?? 0) > (first[id] ?? 0)).length
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/* ------------------------------------------------------------------ the run */

const clip = await tileClip()
const port = await freePort()
const env = {
  ...appEnv(port, DATA, randomBytes(32).toString('base64url')),
  WEB_PROCESSES: '1',
  LIVE_BENCH: '1',
  LIVE_PORT: '0',
  LIVE_LISTEN_IP: '127.0.0.1',
  LIVE_ANNOUNCED_ADDRESS: '127.0.0.1',
  DIGEST_AT: 'off',
}
const sessions = await prepare(env)

const publishers: ChildProcess[] = []
let server: ChildProcess | undefined
let browser: BrowserContext | undefined
const killChildren = () => {
  for (const child of publishers) if (child.exitCode === null) child.kill('SIGKILL')
  if (server?.exitCode === null) server.kill('SIGKILL')
}
process.once('exit', killChildren)

server = spawn(NODE, ['--import=@poppinss/ts-exec', 'bin/server.ts'], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
const hook = new BenchHook(server)
for (let i = 0; ; i++) {
  if (await fetch(`${env.APP_URL}/health`).then((r) => r.ok).catch(() => false)) break
  if (server.exitCode !== null || i > 240) throw new Error('the app did not start')
  await sleep(250)
}

browser = await launchBrowser()
const page = await browser.newPage()
await page.goto(`${env.APP_URL}/login?lang=en`)
await page.locator('input[name=email]').fill(PROCTOR.email)
await page.locator('input[name=password]').fill(PROCTOR.password)
await page.locator('form[action="/login"] button[type=submit]').click()
await page.waitForURL('**/staff/results')
await page.goto(`${env.APP_URL}/staff/live`)
await page.waitForFunction((n) => document.querySelectorAll('.tile').length === n && (window as any).live?.peerId, N_MAX, { timeout: 30_000 })

console.log(
  `bench/live: ${cpus().length} cores; ${N_MAX} sessions over ${EXAMS} exam(s), one proctor's Chromium page watching all ${N_MAX} tiles; ` +
    `publishers: ffmpeg sending a 320x240 15 fps VP8 file (${clip.kbps.toFixed(0)} kbit/s, a key frame a second) as RTP without re-encoding; ` +
    `${SETTLE_SECONDS} s to settle, ${MEASURE_SECONDS} s measured per step`
)

/** Adds publishers up to n: a producer in the app for each, and its ffmpeg. */
async function publishUpTo(n: number) {
  for (let i = publishers.length; i < n; i++) {
    const session = sessions[i]
    const ssrc = 100_000 + i
    const { ip, port: rtpPort } = await hook.ask<{ ip: string; port: number }>('producer', {
      sessionId: session.id,
      examId: session.examId,
      ssrc,
      payloadType: PAYLOAD_TYPE,
    })
    /* No RTCP: its sender reports would come from another local port, and comedia takes the first source it hears. */
    const ffmpeg = spawn('ffmpeg', ['-v', 'error', '-nostdin', '-re', '-stream_loop', '-1', '-i', CLIP, '-map', '0:v', '-c', 'copy', '-an',
      '-f', 'rtp', '-ssrc', String(ssrc), '-payload_type', String(PAYLOAD_TYPE), '-rtpflags', 'skip_rtcp',
      `rtp://${ip}:${rtpPort}?pkt_size=1200`], { stdio: ['ignore', 'ignore', 'inherit'] })
    ffmpeg.once('exit', (code, signal) => {
      if (!stopping) console.error(`  publisher ${i + 1} (ffmpeg) exited (${signal ?? code})`)
    })
    publishers.push(ffmpeg)
  }
}

let stopping = false
type Step = { n: number; sfu: number; app: number; total: number; decoding: number; fps: number; workers: number; machine: number; ffmpeg: number }
const steps: Step[] = []
for (const n of STEPS) {
  await publishUpTo(n)
  const ids = sessions.slice(0, n).map((s) => s.publicId)
  /* Every tile decodes before the clock starts (a key frame comes every second). */
  const deadline = Date.now() + 30_000
  let ready = 0
  while (Date.now() < deadline) {
    ready = await decodingTiles(page, ids, 1)
    if (ready === n) break
  }
  if (ready < n) console.log(`  N=${n}: only ${ready} of ${n} tiles decode after 30 s; measuring anyway`)
  await sleep(SETTLE_SECONDS * 1000)

  const workerPids = await hook.ask<number[]>('pids')
  const appPid = server.pid!
  const ffmpegPids = publishers.map((p) => p.pid!).filter(Boolean)
  const framesBefore = await tileFrames(page)
  const before = { sfu: cpuOfPids(workerPids), app: cpuOfPid(appPid), machine: machineBusy(), ffmpeg: cpuOfPids(ffmpegPids) }
  const began = performance.now()
  await sleep(MEASURE_SECONDS * 1000)
  const after = { sfu: cpuOfPids(workerPids), app: cpuOfPid(appPid), machine: machineBusy(), ffmpeg: cpuOfPids(ffmpegPids) }
  const wall = (performance.now() - began) / 1000
  const framesAfter = await tileFrames(page)
  const workersAfter = await hook.ask<number[]>('pids')
  if (workersAfter.join() !== workerPids.join()) console.log(`  N=${n}: the workers changed during the window (${workerPids} -> ${workersAfter})`)

  const rising = ids.filter((id) => (framesAfter[id] ?? 0) > (framesBefore[id] ?? 0))
  const fps = rising.length ? rising.reduce((sum, id) => sum + (framesAfter[id] - framesBefore[id]), 0) / rising.length / wall : 0
  const step: Step = {
    n,
    sfu: (after.sfu - before.sfu) / wall,
    app: (after.app - before.app) / wall,
    total: 0,
    decoding: rising.length,
    fps,
    workers: workerPids.length,
    machine: (after.machine - before.machine) / wall,
    ffmpeg: (after.ffmpeg - before.ffmpeg) / wall,
  }
  step.total = step.sfu + step.app
  steps.push(step)
  console.log(
    `  N=${n}: SFU ${step.sfu.toFixed(3)} cores (${step.workers} workers), app ${step.app.toFixed(3)} cores, total ${step.total.toFixed(3)} cores; ` +
      `${((100 * step.total) / n).toFixed(2)} % of a core per publisher = ${(n / step.total).toFixed(0)} publishers per core; ` +
      `app share ${((100 * step.app) / step.total).toFixed(0)} %; tiles decoding ${step.decoding}/${n} (${fps.toFixed(1)} fps each); ` +
      `machine busy ${step.machine.toFixed(2)} of ${cpus().length} cores (ffmpegs ${step.ffmpeg.toFixed(2)}; the rest: Chromium and whatever else runs)`
  )
}

stopping = true
for (const child of publishers) child.kill('SIGKILL')
await browser.close().catch(() => undefined)
const exited = new Promise((resolve) => server!.once('exit', resolve))
server.kill('SIGTERM')
await Promise.race([exited, sleep(10_000)])
killChildren()
await rm(DATA, { recursive: true, force: true })

console.log('\n  N | SFU cores | app cores | total | % core/publisher | publishers/core | app share | tiles decoding')
for (const s of steps) {
  console.log(
    `  ${String(s.n).padStart(2)} | ${s.sfu.toFixed(3).padStart(9)} | ${s.app.toFixed(3).padStart(9)} | ${s.total.toFixed(3)} | ` +
      `${((100 * s.total) / s.n).toFixed(2).padStart(16)} | ${(s.n / s.total).toFixed(0).padStart(15)} | ${((100 * s.app) / s.total).toFixed(0).padStart(8)} % | ${s.decoding}/${s.n}`
  )
}
const last = steps[steps.length - 1]
console.log(
  `publishers per core at N=${last.n}: ${(last.n / last.total).toFixed(0)} (target >= ${TARGET}); app share: ${((100 * last.app) / last.total).toFixed(0)} %` +
    (last.decoding < last.n ? ` (only ${last.decoding} of ${last.n} tiles decoding)` : '')
)
process.exit(0)
