/*
| bench/ingest: how many students the web processes hold while the exam runs, and the CPU
| they use for it (students per core). Each simulated student behaves as the exam page does:
| a webcam chunk (640x480 VP8 + Opus, ~590 kbit/s) and a screen chunk (1280x720 at 5 fps of a
| mostly still page) every 3 s, each with its SHA-256, a heartbeat every 5 s and a browser
| event every 60 s, over two keep-alive connections. The number of students is stepped up until
| the p99 time from a request's due moment to its answer passes 300 ms (or a request fails).
| Then every acknowledged chunk is checked on disk (size and SHA-256) and in the database.
| Run twice: the web processes alone, then with an analysis worker beside them.
| Chunks and checksums are made once, before the load, so the generator itself stays light.
|
| Settings (environment): START (students, 100), STEP (100), STEP_SECONDS (20), MAX (4000),
| WEB_PROCESSES (the app's default: one per core), PHASES ("web,worker").
*/
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { cpus } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { appEnv, run } from './lib.js'
import { freePort } from '../tests/helpers/app_server.js'
import { Connection } from './http_client.js'
import { webmChunks } from './webm_chunks.js'
import { chunkBytes, type ChunkLocation } from '../app/services/chunk_files.js'

const START = Number(process.env.START ?? 100)
const STEP = Number(process.env.STEP ?? 100)
const STEP_SECONDS = Number(process.env.STEP_SECONDS ?? 20)
const MAX = Number(process.env.MAX ?? 4000)
const P99_LIMIT_MS = 300
const PHASES = (process.env.PHASES ?? 'web,worker').split(',')
const NODE = process.execPath
const DATA = 'tmp/bench-ingest'
const MEDIA = 'tmp/media'
const SAMPLES = 'node_modules/@vladmandic/face-api/demo'

type Chunk = { bytes: Buffer; sha256: string }

/** Real WebM, made once with ffmpeg and cut where its clusters begin (a key frame every 3 s). */
async function streamChunks(): Promise<Record<'webcam' | 'screen', Chunk[]>> {
  await mkdir(MEDIA, { recursive: true })
  const webcam = `${MEDIA}/ingest-webcam.webm`
  const screen = `${MEDIA}/ingest-screen.webm`
  if (!existsSync(webcam)) {
    await run('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-framerate', '15', '-t', '60', '-i', `${SAMPLES}/sample3.jpg`,
      '-f', 'lavfi', '-t', '60', '-i', 'anoisesrc=c=pink:a=0.02:r=48000',
      '-vf', 'crop=720:540:336:165,scale=640:480,setsar=1,noise=alls=12:allf=t,format=yuv420p',
      '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '500k', '-g', '45',
      '-c:a', 'libopus', '-b:a', '48k', '-t', '60', '-f', 'webm', webcam])
  }
  if (!existsSync(screen)) {
    await run('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-framerate', '5', '-t', '60', '-i', `${SAMPLES}/sample1.jpg`,
      '-f', 'lavfi', '-i', 'color=c=black:s=24x24:r=5',
      '-filter_complex', "[0:v]scale=1280:720,setsar=1[bg];[bg][1:v]overlay=x='mod(t*60,1240)':y=650:shortest=1,format=yuv420p",
      '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '400k', '-crf', '30', '-g', '15',
      '-t', '60', '-f', 'webm', screen])
  }
  const cut = async (file: string) =>
    (await webmChunks(file)).map((bytes) => ({ bytes, sha256: createHash('sha256').update(bytes).digest('hex') }))
  return { webcam: await cut(webcam), screen: await cut(screen) }
}

/** The chunk a stream sends at `seq`: the first holds the header; later ones cycle through the rest. */
function chunkAt(chunks: Chunk[], seq: number) {
  return seq === 0 ? chunks[0] : chunks[1 + ((seq - 1) % (chunks.length - 1))]
}

function percentile(values: number[], p: number) {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

/** CPU seconds of a process and its threads, from /proc: user and system (the kernel's work for its writes). */
function cpuOfPid(pid: number) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 }
  } catch {
    return { user: 0, system: 0 }
  }
}

function cpuOfPids(pids: number[]) {
  return pids.map(cpuOfPid).reduce((sum, cpu) => ({ user: sum.user + cpu.user, system: sum.system + cpu.system }), { user: 0, system: 0 })
}

/** A process and every process below it. */
function processTree(pid: number): number[] {
  let children: number[] = []
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {}
  return [pid, ...children.flatMap(processTree)]
}

/* The page posts JSON to every call but the chunk uploads, an empty object where it has nothing to say. */
const JSON_TYPE = { 'content-type': 'application/json' }
const EMPTY_JSON = Buffer.from('{}')

type Acked = { sessionId: string; stream: string; seq: number; sha256: string; size: number }

class Student {
  private connections: Connection[]
  private timers: NodeJS.Timeout[] = []
  private seq = { webcam: 0, screen: 0 }
  private events = 0

  constructor(
    private load: Load,
    readonly sessionId: string,
    private token: string,
    port: number
  ) {
    this.connections = [new Connection('127.0.0.1', port), new Connection('127.0.0.1', port)]
  }

  private get base() {
    return `/api/student/sessions/${this.sessionId}`
  }

  /** The least busy of the student's connections, as a browser picks a free one. */
  private connection() {
    return this.connections[0].pending <= this.connections[1].pending ? this.connections[0] : this.connections[1]
  }

  private async send(kind: string, method: string, path: string, headers: Record<string, string>, body?: Buffer) {
    const due = performance.now()
    try {
      const answer = await this.connection().request(method, path, { authorization: `Bearer ${this.token}`, ...headers }, body)
      this.load.record(kind, due, answer.status)
      return answer
    } catch (error) {
      this.load.record(kind, due, 0)
      console.log(`  ${kind} failed: ${(error as Error).message}`)
      return undefined
    }
  }

  async begin() {
    const answer = await this.send('attempt', 'POST', `${this.base}/attempts`, JSON_TYPE, EMPTY_JSON)
    if (answer?.status !== 201) throw new Error(`attempt refused: ${answer?.status} ${answer?.body}`)
    const every = (ms: number, offset: number, action: () => void) => {
      this.timers.push(
        setTimeout(() => {
          action()
          this.timers.push(setInterval(action, ms))
        }, offset)
      )
    }
    every(3000, Math.random() * 3000, () => void this.chunk('webcam'))
    every(3000, Math.random() * 3000, () => void this.chunk('screen'))
    every(5000, Math.random() * 5000, () => void this.heartbeat())
    every(60_000, Math.random() * 60_000, () => void this.event())
  }

  private async chunk(stream: 'webcam' | 'screen') {
    const seq = this.seq[stream]++
    const chunk = chunkAt(this.load.chunks[stream], seq)
    const answer = await this.send('chunk', 'POST', `${this.base}/recordings/${stream}/chunks/${seq}`, {
      'content-type': stream === 'webcam' ? 'video/webm;codecs=vp8,opus' : 'video/webm;codecs=vp8',
      'x-attempt': '1',
      'x-chunk-sha256': chunk.sha256,
    }, chunk.bytes)
    if (answer && (answer.status === 200 || answer.status === 201)) {
      this.load.acked.push({ sessionId: this.sessionId, stream, seq, sha256: chunk.sha256, size: chunk.bytes.length })
    }
  }

  private async heartbeat() {
    await this.send('heartbeat', 'POST', `${this.base}/heartbeat`, JSON_TYPE, EMPTY_JSON)
  }

  private async event() {
    const body = Buffer.from(JSON.stringify({ clientEventId: `ev-${this.sessionId.slice(0, 8)}-${this.events++}`, type: 'focus_lost', agoMs: 20, durationMs: 1500, attempt: 1 }))
    const answer = await this.send('event', 'POST', `${this.base}/events`, JSON_TYPE, body)
    if (answer?.status === 201) this.load.eventsAcked++
  }

  stop() {
    this.timers.forEach((t) => clearTimeout(t))
    this.connections.forEach((c) => c.close())
  }
}

class Load {
  acked: Acked[] = []
  eventsAcked = 0
  private window: { ms: number[]; failed: number; statuses: Map<number, number>; kinds: Map<string, number> } = this.fresh()

  constructor(readonly chunks: Record<'webcam' | 'screen', Chunk[]>) {}

  private fresh() {
    return { ms: [] as number[], failed: 0, statuses: new Map<number, number>(), kinds: new Map<string, number>() }
  }

  record(kind: string, due: number, status: number) {
    this.window.ms.push(performance.now() - due)
    this.window.statuses.set(status, (this.window.statuses.get(status) ?? 0) + 1)
    this.window.kinds.set(kind, (this.window.kinds.get(kind) ?? 0) + 1)
    if (status === 0 || status >= 400) this.window.failed++
  }

  /** What was answered since the last call. */
  take() {
    const taken = this.window
    this.window = this.fresh()
    return taken
  }
}

async function phase(name: string, withWorker: boolean, chunks: Record<'webcam' | 'screen', Chunk[]>) {
  const port = await freePort()
  const appKey = randomBytes(32).toString('base64url')
  const env = appEnv(port, DATA, appKey)
  await rm(DATA, { recursive: true, force: true })
  await run(NODE, ['ace.js', 'migration:run', '--force'], { env })
  await run(NODE, ['ace.js', 'db:seed'], { env })

  /* The exam's sessions, made in the database as opening a link would (page rendering is not the load measured here). */
  const db = new Database(join(DATA, 'proctor.sqlite3'))
  db.pragma('busy_timeout = 15000')
  db.prepare('update exams set violation_limit = 0, reconnect_window_seconds = 3600').run()
  const examId = (db.prepare('select id from exams limit 1').get() as { id: number }).id
  const now = new Date().toISOString().replace('T', ' ').slice(0, 19)
  const addCandidate = db.prepare('insert into candidates (full_name, external_id, created_at) values (?, ?, ?)')
  const addSession = db.prepare(
    `insert into proctoring_sessions (public_id, exam_id, candidate_id, status, decision, archived, violation_count, created_at)
     values (?, ?, ?, 'not_started', 'none', 0, 0, ?)`
  )
  const sessions: { publicId: string; token: string }[] = []
  db.transaction(() => {
    for (let i = 0; i < MAX; i++) {
      const candidate = addCandidate.run(`Студент ${i}`, `bench-${i}`, now).lastInsertRowid
      const publicId = randomUUID()
      addSession.run(publicId, examId, candidate, now)
      /* The bearer token the exam page would hand the browser (app/services/signing.ts sessionToken). */
      sessions.push({ publicId, token: createHmac('sha256', `student-session:${appKey}`).update(publicId).digest('base64url') })
    }
  })()
  db.close()

  const children: ChildProcess[] = []
  const nodeArgs = (process.env.SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)
  const server = spawn(NODE, [...nodeArgs, '--import=@poppinss/ts-exec', 'bin/server.ts'], { env, stdio: ['ignore', 'inherit', 'inherit'] })
  children.push(server)
  if (withWorker) children.push(spawn(NODE, ['ace.js', 'worker:run'], { env, stdio: ['ignore', 'ignore', 'inherit'] }))
  const killAll = () => children.forEach((c) => c.kill('SIGKILL'))
  process.once('exit', killAll)
  for (let i = 0; ; i++) {
    if (await fetch(`${env.APP_URL}/health`).then((r) => r.ok).catch(() => false)) break
    if (i > 240) throw new Error('the app did not start')
    await new Promise((r) => setTimeout(r, 250))
  }
  const webPids = () => processTree(server.pid!)
  const webProcesses = webPids().length

  const load = new Load(chunks)
  const students: Student[] = []
  let held = { students: 0, p99: 0, perCore: 0, cores: 0 }
  console.log(`\n${name}: ${webProcesses} web process(es)${withWorker ? ' + 1 analysis worker' : ''}, steps of ${STEP} students, ${STEP_SECONDS} s each`)
  /* With the worker taking a core, the web processes start from a lower number. */
  for (let target = withWorker ? Math.max(STEP, Math.round(START / 3)) : START; target <= MAX; target += STEP) {
    /* Bring the new students in over 3 s, as they would arrive, then measure a whole step. */
    const joining = sessions.slice(students.length, target).map((s) => new Student(load, s.publicId, s.token, port))
    for (const [i, student] of joining.entries()) {
      setTimeout(() => void student.begin().catch((error) => console.error(String(error))), (3000 * i) / joining.length)
    }
    students.push(...joining)
    await new Promise((r) => setTimeout(r, 4000))
    load.take()
    const pids = webPids()
    const cpuBefore = cpuOfPids(pids)
    const began = performance.now()
    await new Promise((r) => setTimeout(r, STEP_SECONDS * 1000))
    const wall = (performance.now() - began) / 1000
    const cpuAfter = cpuOfPids(pids)
    const user = (cpuAfter.user - cpuBefore.user) / wall
    const system = (cpuAfter.system - cpuBefore.system) / wall
    const cores = user + system
    const window = load.take()
    const p99 = percentile(window.ms, 99)
    const statuses = [...window.statuses].map(([s, n]) => `${s}:${n}`).join(' ')
    console.log(
      `  ${target} students: ${(window.ms.length / wall).toFixed(0)} req/s, p50 ${percentile(window.ms, 50).toFixed(0)} ms, ` +
        `p99 ${p99.toFixed(0)} ms, web CPU ${cores.toFixed(2)} cores (user ${user.toFixed(2)}, system ${system.toFixed(2)}), ${(target / cores).toFixed(0)} students/core [${statuses}]`
    )
    if (p99 > P99_LIMIT_MS || window.failed > 0) break
    held = { students: target, p99, perCore: target / cores, cores }
  }
  students.forEach((s) => s.stop())
  await new Promise((r) => setTimeout(r, 2000))

  /* Every acknowledged chunk must be on disk, byte for byte, and in the database. */
  const check = new Database(join(DATA, 'proctor.sqlite3'), { readonly: true })
  const rowOf = check.prepare(
    `select c.sha256, c.size, c.path, c.byte_offset as byteOffset from recording_chunks c join recordings r on r.id = c.recording_id
     join proctoring_sessions s on s.id = r.session_id where s.public_id = ? and r.stream = ? and c.seq = ?`
  )
  let lost = 0
  for (const chunk of load.acked) {
    const row = rowOf.get(chunk.sessionId, chunk.stream, chunk.seq) as ChunkLocation & { sha256: string } | undefined
    const onDisk = row && (await chunkBytes(DATA, row).catch(() => null))
    if (!row || row.sha256 !== chunk.sha256 || !onDisk || onDisk.length !== chunk.size) lost++
    else if (createHash('sha256').update(onDisk).digest('hex') !== chunk.sha256) lost++
  }
  const events = (check.prepare(`select count(*) as n from events where source = 'browser'`).get() as { n: number }).n
  check.close()
  /* A polite stop first, so a profiler asked for with SERVER_NODE_ARGS can write its file. */
  const exited = new Promise((r) => server.once('exit', r))
  server.kill('SIGTERM')
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))])
  killAll()
  console.log(`  checked ${load.acked.length} acknowledged chunks: ${lost} lost; ${load.eventsAcked} events acknowledged, ${events} stored`)
  await rm(DATA, { recursive: true, force: true })
  await settleDisk()
  return { ...held, lost: lost + Math.max(0, load.eventsAcked - events), webProcesses }
}

/**
 * A phase leaves gigabytes of chunk files behind; removing them keeps the disk busy (freed
 * blocks are discarded on this mount) well into the next phase, whose fdatasyncs would wait
 * behind that. The next phase starts once the kernel has nothing left to write.
 */
async function settleDisk() {
  const began = performance.now()
  await run('sync')
  const pending = () => {
    const meminfo = readFileSync('/proc/meminfo', 'utf8')
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(meminfo)?.[1] ?? 0)
    return kb('Dirty') + kb('Writeback')
  }
  while (pending() > 16 * 1024 && performance.now() - began < 120_000) await new Promise((r) => setTimeout(r, 500))
  console.log(`  data removed, disk settled in ${((performance.now() - began) / 1000).toFixed(1)} s`)
}

const chunks = await streamChunks()
const kb = (list: Chunk[]) => (list.reduce((s, c) => s + c.bytes.length, 0) / list.length / 1024).toFixed(0)
console.log(`chunks: webcam ${kb(chunks.webcam)} kB, screen ${kb(chunks.screen)} kB on average, every 3 s; ${cpus().length} cores`)
const results: Record<string, Awaited<ReturnType<typeof phase>>> = {}
for (const name of PHASES) results[name] = await phase(name === 'web' ? 'web alone' : 'web + analysis worker', name === 'worker', chunks)
for (const [name, r] of Object.entries(results)) {
  console.log(`${name === 'web' ? 'web alone' : 'with an analysis worker'}: ${r.students} students held (p99 ${r.p99.toFixed(0)} ms) on ${r.cores.toFixed(2)} cores of ${r.webProcesses} web process(es), ${r.lost} lost`)
}
const first = results[PHASES[0]]
console.log(`students per core of the web processes (p99 <= ${P99_LIMIT_MS} ms, ${first.lost} lost): ${first.perCore.toFixed(0)}`)
process.exit(0)
