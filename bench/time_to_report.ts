/*
| bench/time-to-report: seconds from the end of a one-hour exam to its complete report
| (recordings playable, findings written, credibility computed). The real appliance runs in
| its own processes (web app + one analysis worker) on a scratch data folder; the student's
| chunks arrive as the browser would send them, 20x faster than real time.
| Run: node_modules/.bin/node --import=@poppinss/ts-exec bench/time_to_report.ts
*/
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import Database from 'better-sqlite3'
import { candidatePhoto, sliceIntoChunks } from '../tests/helpers/exam_video.js'
import { appEnv, run } from './lib.js'
import { freePort } from '../tests/helpers/app_server.js'
import { hourRecording } from './make_recording.js'

const SPEED = Number(process.env.SPEED ?? 20)
const CHUNK_SECONDS = 3
const DATA = 'tmp/bench-data'
const NODE = process.execPath

const port = await freePort()
/* Staff sessions are not measured here: the cookie store keeps them out of the database. */
const env = { ...appEnv(port, DATA, randomBytes(32).toString('base64url')), SESSION_DRIVER: 'cookie' }
const ace = (...args: string[]) => run(NODE, ['ace.js', ...args], { env })

await rm(DATA, { recursive: true, force: true })
await ace('migration:run', '--force')
await ace('db:seed')
const link = (await ace('link:issue', '--exam', '1', '--candidate', '1')).stdout.trim()
const file = await hourRecording()

const children: ChildProcess[] = []
const start = (args: string[]) => {
  const child = spawn(NODE, args, { env, stdio: 'ignore' })
  children.push(child)
  return child
}
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')))
start(['--import=@poppinss/ts-exec', 'bin/server.ts'])
start(['ace.js', 'worker:run'])
for (let i = 0; i < 120; i++) {
  if (await fetch(`${env.APP_URL}/health`).then((r) => r.ok).catch(() => false)) break
  await new Promise((r) => setTimeout(r, 250))
}

const page = await (await fetch(link)).text()
const config = JSON.parse(/id="student-config">(.*?)<\/script>/s.exec(page)![1])
const headers = { authorization: `Bearer ${config.token}` }
const base = `${env.APP_URL}/api/student/sessions/${config.sessionId}`
await fetch(`${base}/attempts`, { method: 'POST', headers })
await fetch(`${base}/identity/face`, { method: 'POST', headers: { ...headers, 'content-type': 'image/jpeg' }, body: new Uint8Array(await candidatePhoto()) })

const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file])
const seconds = Number(stdout)
const { size } = await import('node:fs').then((fs) => fs.statSync(file))
const chunks = await sliceIntoChunks(file, Math.ceil(size / (seconds / CHUNK_SECONDS)))
const began = Date.now()
for (const [seq, chunk] of chunks.entries()) {
  const due = began + (seq * CHUNK_SECONDS * 1000) / SPEED
  if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()))
  const response = await fetch(`${base}/recordings/webcam/chunks/${seq}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'video/webm;codecs=vp8,opus', 'x-attempt': '1', 'x-chunk-sha256': createHash('sha256').update(chunk).digest('hex') },
    body: new Uint8Array(chunk),
  })
  if (!response.ok) throw new Error(`chunk ${seq}: ${response.status}`)
}
const ended = Date.now()
await fetch(`${base}/finish`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ attempt: 1, chunks: { webcam: chunks.length } }) })

const db = new Database(`${DATA}/proctor.sqlite3`, { readonly: true, fileMustExist: true })
for (;;) {
  const pending = db.prepare(`select count(*) as n from jobs where status in ('queued', 'running')`).get() as { n: number }
  const session = db.prepare(`select credibility from proctoring_sessions where public_id = ?`).get(config.sessionId) as { credibility: number | null }
  const recording = db.prepare(`select status from recordings where stream = 'webcam'`).get() as { status: string }
  if (pending.n === 0 && recording.status !== 'recording' && session.credibility !== null) break
  await new Promise((r) => setTimeout(r, 200))
}
const toReport = (Date.now() - ended) / 1000
const findings = db.prepare(`select type, count(*) as n from events where source = 'analysis' group by type`).all()
console.log(`exam: ${(seconds / 60).toFixed(0)} min in ${chunks.length} chunks, sent at ${SPEED}x real time in ${((ended - began) / 1000).toFixed(0)} s`)
console.log(`findings: ${JSON.stringify(findings)}`)
console.log(`seconds from the end of the exam to a complete report: ${toReport.toFixed(1)}`)
process.exit(0)
