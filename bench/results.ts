/*
| bench/results: how fast the proctor's review pages are on a big appliance. A database of
| 100,000 sessions (~60 exams, ~200 groups, 20,000 candidates, a year of dates, realistic
| statuses, credibility, decisions, face photos, recordings and processing jobs) and 3,000,000
| events is seeded once with
| better-sqlite3 in big transactions and cached under tmp/bench-results-cache, keyed by
| SEED_VERSION (a re-run copies it and only runs the migrations added since). Then the app
| server runs as in production and a logged-in proctor (and an admin) requests, one at a time:
|   - the full results page (HTML) over a mix of filters, sorts, groupings and pages
|     (RESULT_URLS distinct URLs, REQUESTS requests in all, after a warm-up round);
|   - the report of the session that has exactly 500 events (REPORT_REQUESTS requests).
| Prints p50 and p95 of each; the last line holds the two p95 figures (target <= 50 ms each).
|
| Settings (environment): REQUESTS (400), REPORT_REQUESTS (100), RESEED=1 (seed again),
| SLOW=1 (print the URLs over the target with their times).
*/
import { spawn } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { appEnv, run } from './lib.js'
import { Connection } from './http_client.js'
import { freePort } from '../tests/helpers/app_server.js'

/** Change when the seeded data changes shape: the cached database is then made again. */
const SEED_VERSION = 2
const CACHE = 'tmp/bench-results-cache'
const CACHED_DB = `${CACHE}/seed-v${SEED_VERSION}.sqlite3`
/** What the run needs to know of the seed (the report's session). */
const CACHED_FACTS = `${CACHE}/seed-v${SEED_VERSION}.json`
const DATA = 'tmp/bench-results'
const NODE = process.execPath
const REQUESTS = Number(process.env.REQUESTS ?? 400)
const REPORT_REQUESTS = Number(process.env.REPORT_REQUESTS ?? 100)
const TARGET_MS = 50

const SESSIONS = 100_000
const EXAMS = 60
const GROUPS = 200
const CANDIDATES = 20_000
const EVENTS = 3_000_000
const REPORT_EVENTS = 500

/** A deterministic generator, so every seed is the same appliance. */
function rng(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const random = rng(20261124)
const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]
const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1))
/** "yyyy-MM-dd HH:mm:ss", as the app stores a date-time. */
const stored = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19)

const SURNAMES = ['Абдукаримов', 'Әбілқасымов', 'Иванов', 'Нұрланов', 'Серікбаев', 'Жақсылықов', 'Ким', 'Ахметов', 'Байжанов', 'Омаров', 'Смагулов', 'Тулегенов', 'Петров', 'Қасымов', 'Ержанов', 'Мұхтаров']
const GIVEN = ['Айгерім', 'Данияр', 'Мерей', 'Айдос', 'Зарина', 'Пётр', 'Әлия', 'Ерлан', 'Дана', 'Тимур', 'Жанар', 'Арман', 'Сауле', 'Нұрлан', 'Асель', 'Болат']
const SUBJECTS = ['Анатомия', 'Гистология', 'Физиология', 'Фармакология', 'Биохимия', 'Патология', 'Микробиология', 'Латинский язык', 'История Казахстана', 'Философия', 'Математика', 'Информатика']
const BROWSER_KINDS = ['focus_lost', 'tab_hidden', 'fullscreen_exit', 'copy', 'paste', 'right_click', 'second_monitor', 'network_lost']
const ANALYSIS_KINDS = ['no_face', 'multiple_faces', 'face_mismatch', 'looking_away', 'voice_detected']

/** Seeds the big database into `dir` (migrations first, then rows straight into SQLite). */
async function seed(dir: string, env: NodeJS.ProcessEnv) {
  await rm(dir, { recursive: true, force: true })
  await run(NODE, ['ace.js', 'migration:run', '--force'], { env })
  const began = performance.now()
  const db = new Database(join(dir, 'proctor.sqlite3'))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = OFF')
  const now = Date.now()
  const created = stored(now - 400 * 86_400_000)

  db.transaction(() => {
    const system = db.prepare(`insert into systems (name, kind, active, created_at) values (?, ?, 1, ?)`)
    for (const [name, kind] of [['Platonus', 'lti'], ['Moodle', 'lti'], ['Univer', 'link']]) system.run(name, kind, created)
    const discipline = db.prepare(`insert into disciplines (name, code, created_at) values (?, ?, ?)`)
    SUBJECTS.forEach((name, i) => discipline.run(name, `D-${100 + i}`, created))
    const group = db.prepare(`insert into groups (name, created_at) values (?, ?)`)
    for (let i = 0; i < GROUPS; i++) group.run(`${pick(['ЖМ', 'СТ', 'ФА', 'ИС', 'ПС'])}-${20 + (i % 6)}-${String(i + 1).padStart(3, '0')}`, created)
    const exam = db.prepare(
      `insert into exams (title, title_ru, title_kk, title_en, discipline_id, system_id, duration_minutes, violation_limit, pass_threshold,
       reconnect_window_seconds, weights, rules, archived, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, 70, 300, '{}', '{"allowed":[],"forbidden":[]}', ?, ?)`
    )
    for (let i = 0; i < EXAMS; i++) {
      const subject = SUBJECTS[i % SUBJECTS.length]
      const title = `${subject} — ${['рубежный контроль', 'экзамен', 'промежуточный контроль', 'итоговый тест', 'коллоквиум'][Math.floor(i / SUBJECTS.length)]}`
      exam.run(title, title, `${subject} — емтихан ${i + 1}`, `${subject} exam ${i + 1}`, (i % SUBJECTS.length) + 1, (i % 3) + 1, pick([45, 60, 90]), pick([0, 5, 10]), i >= EXAMS - 2 ? 1 : 0, created)
    }
    const candidate = db.prepare(`insert into candidates (full_name, group_id, iin, email, system_id, external_id, created_at) values (?, ?, ?, ?, ?, ?, ?)`)
    for (let i = 0; i < CANDIDATES; i++) {
      const name = `${pick(SURNAMES)} ${pick(GIVEN)} ${pick(GIVEN)}ұлы`
      const iin = `${String(int(90, 99)).padStart(2, '0')}${String(int(1, 12)).padStart(2, '0')}${String(int(1, 28)).padStart(2, '0')}${String(i).padStart(6, '0')}`
      candidate.run(name, (i % GROUPS) + 1, iin, `student${i}@uni.kz`, (i % 3) + 1, `ext-${i}`, created)
    }
  })()

  /* Sessions: each candidate sits ~5 exams over the last year; most finished, some stopped (ПКН), a few running. */
  type SessionRow = { id: number; started: number; ended: number; status: string; attempt: number }
  const sessions: SessionRow[] = []
  db.transaction(() => {
    const session = db.prepare(
      `insert into proctoring_sessions (public_id, exam_id, candidate_id, system_id, status, end_reason, started_at, ended_at, credibility,
       decision, decided_at, viewed_at, archived, created_at, updated_at, violation_count, sitting, consented_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
    )
    const attempt = db.prepare(`insert into attempts (session_id, number, user_agent, ip, started_at, ended_at) values (?, 1, 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131', '10.1.2.3', ?, ?)`)
    const face = db.prepare(`insert into identity_checks (session_id, kind, photo_path, result, created_at) values (?, ?, ?, ?, ?)`)
    const recording = db.prepare(
      `insert into recordings (session_id, attempt_id, stream, mime_type, chunk_count, expected_chunks, bytes, status, file_path, duration_seconds, created_at, analysed_chunks, analysed_seconds)
       values (?, ?, ?, 'video/webm', ?, ?, ?, ?, ?, ?, ?, ?, ?)`
    )
    const job = db.prepare(
      `insert into jobs (type, payload, unique_key, status, attempts, max_attempts, run_at, progress, created_at, updated_at) values ('process_session', ?, ?, ?, 1, 5, ?, ?, ?, ?)`
    )
    const decision = db.prepare(`insert into session_decisions (session_id, decision, previous, comment, user_id, actor_name, created_at) values (?, ?, 'none', ?, null, 'Проктор Бенч', ?)`)
    for (let i = 0; i < SESSIONS; i++) {
      const roll = random()
      const status = roll < 0.9 ? 'finished' : roll < 0.95 ? 'stopped' : roll < 0.98 ? 'in_progress' : 'not_started'
      const started = status === 'not_started' ? null : now - Math.floor(random() * 365 * 86_400_000) - 3_600_000
      const running = status === 'in_progress'
      const startedAt = running ? now - int(60, 3000) * 1000 : started
      const ended = startedAt && !running ? startedAt + int(20, 90) * 60_000 : null
      const endReason = status === 'stopped' ? pick(['violation_limit', 'violation_limit', 'reconnect_timeout', 'ended_by_proctor']) : status === 'finished' ? 'finished_by_student' : null
      const scored = status === 'finished' || status === 'stopped'
      const credibility = scored ? Math.round(Math.min(100, Math.max(0, 100 - Math.abs(random() * random() * 140))) * 10) / 10 : null
      const d = random()
      const decided = scored && d < 0.45 ? (d < 0.32 ? 'accepted' : d < 0.41 ? 'rejected' : 'review') : 'none'
      const decidedAt = decided !== 'none' ? stored(ended! + int(1, 72) * 3_600_000) : null
      const viewedAt = scored && (decided !== 'none' || random() < 0.3) ? stored(ended! + int(1, 48) * 3_600_000) : null
      const candidateId = (i % CANDIDATES) + 1
      const examId = ((i * 7 + Math.floor(i / CANDIDATES) * 13) % EXAMS) + 1
      const stamp = startedAt ? stored(startedAt) : stored(now - int(1, 30) * 86_400_000)
      const id = Number(
        session.run(randomUUID(), examId, candidateId, (candidateId % 3) + 1, status, endReason, startedAt ? stored(startedAt) : null, ended ? stored(ended) : null,
          credibility, decided, decidedAt, viewedAt, random() < 0.02 ? 1 : 0, stamp, stamp, scored ? int(0, 25) : 0, random() < 0.03 ? 2 : 1, startedAt ? stamp : null).lastInsertRowid
      )
      if (startedAt) {
        const attemptId = Number(attempt.run(id, stored(startedAt), ended ? stored(ended) : null).lastInsertRowid)
        /* Its recordings (webcam and screen, processed once it ended) and its processing job. */
        const seconds = ((ended ?? now) - startedAt) / 1000
        const chunks = Math.ceil(seconds / 3)
        for (const stream of ['webcam', 'screen']) {
          recording.run(id, attemptId, stream, chunks, ended ? chunks : null, chunks * 200_000, ended ? 'ready' : 'recording',
            ended ? `recordings/${id}/${stream}.webm` : null, ended ? seconds : null, stored(startedAt), chunks, seconds)
        }
        if (ended) job.run(JSON.stringify({ sessionId: id }), `process_session:${id}`, 'done', ended, 100, stored(ended), stored(ended))
        if (random() < 0.95) face.run(id, 'face', `photos/${id}/face.jpg`, 'accepted', stored(startedAt))
        if (random() < 0.9) face.run(id, 'document', `photos/${id}/document.jpg`, 'accepted', stored(startedAt))
        sessions.push({ id, started: startedAt, ended: ended ?? now, status, attempt: attemptId })
      }
      if (decided !== 'none') decision.run(id, decided, decided === 'rejected' ? 'Посторонний человек в кадре' : null, decidedAt)
    }
  })()

  /* The report of REPORT_EVENTS events: the first finished session. */
  const report = sessions.find((s) => s.status === 'finished')!
  const reportId = report.id

  /* Events: EVENTS in all, spread over the sessions that started; the report's session gets exactly REPORT_EVENTS. */
  const others = sessions.filter((s) => s.id !== reportId)
  const insertEvent = db.prepare(
    `insert into events (session_id, attempt_id, type, source, is_violation, started_at, ended_at, details, client_event_id, created_at, recording_id, offset_start, offset_end)
     values (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)`
  )
  const addEvents = (s: SessionRow, count: number, recordingIds: number[] = []) => {
    const length = Math.max(60_000, s.ended - s.started)
    for (let k = 0; k < count; k++) {
      const at = s.started + Math.floor(((k + random()) / count) * length)
      const browser = random() < 0.6
      const duration = int(1, 20) * 1000
      const type = browser ? pick(BROWSER_KINDS) : pick(ANALYSIS_KINDS)
      const offset = (at - s.started) / 1000
      insertEvent.run(s.id, s.attempt, type, browser ? 'browser' : 'analysis', stored(at), stored(at + duration),
        browser ? '{"durationMs":' + duration + '}' : '{"confidence":0.9}', browser ? `ev-${s.id}-${k}` : null, stored(at),
        browser ? null : recordingIds[k % recordingIds.length] ?? null, browser ? null : offset, browser ? null : offset + duration / 1000)
    }
  }
  const reportRecordings = (db.prepare('select id from recordings where session_id = ?').all(reportId) as { id: number }[]).map((r) => r.id)
  const batch = 200_000
  let remaining = EVENTS - REPORT_EVENTS
  db.transaction(() => addEvents(report, REPORT_EVENTS, reportRecordings))()
  for (let from = 0; from < others.length && remaining > 0; ) {
    db.transaction(() => {
      let written = 0
      while (from < others.length && written < batch && remaining > 0) {
        const left = others.length - from
        const count = Math.min(remaining, Math.max(0, Math.round(remaining / left + (random() - 0.5) * 20)))
        const capped = Math.min(count, REPORT_EVENTS - 1)
        addEvents(others[from], capped)
        remaining -= capped
        written += capped
        from++
      }
    })()
  }
  db.pragma('wal_checkpoint(TRUNCATE)')
  const counts = db.prepare(`select (select count(*) from proctoring_sessions) as sessions, (select count(*) from events) as events,
    (select count(*) from events where session_id = ?) as reportEvents`).get(reportId) as { sessions: number; events: number; reportEvents: number }
  db.pragma('journal_mode = DELETE')
  db.close()
  await writeFile(join(dir, 'facts.json'), JSON.stringify({ reportSessionId: reportId }))
  console.log(`seeded ${counts.sessions} sessions and ${counts.events} events (the report's session: ${counts.reportEvents}) in ${((performance.now() - began) / 1000).toFixed(0)} s`)
}

function percentile(values: number[], p: number) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}

/** Logs in through the real form (CSRF token and session cookie) and returns the Cookie header. */
async function logIn(base: string, email: string, password: string) {
  const page = await fetch(`${base}/login`)
  const cookies = page.headers.getSetCookie().map((c) => c.split(';')[0])
  const csrf = /name='_csrf' value='([^']+)'/.exec(await page.text())?.[1]
  if (!csrf) throw new Error('the login page has no CSRF field')
  const answer = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'cookie': cookies.join('; ') },
    body: new URLSearchParams({ _csrf: csrf, email, password }).toString(),
  })
  if (answer.status !== 302 || answer.headers.get('location') !== '/staff/results') throw new Error(`login failed: ${answer.status}`)
  const jar = new Map(cookies.map((c) => [c.split('=')[0], c]))
  for (const c of answer.headers.getSetCookie().map((line) => line.split(';')[0])) jar.set(c.split('=')[0], c)
  return [...jar.values()].join('; ')
}

/** The results page over a mix of filters, sorts, groupings and pages (all distinct). */
function resultUrls(groups: { id: number; name: string }[], candidate: { full_name: string; iin: string }) {
  const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 16)
  const surname = candidate.full_name.split(' ')[0]
  const list: string[] = [
    '',
    'page=2',
    'page=40',
    'size=100',
    'size=50&page=3',
    `q=${encodeURIComponent(surname)}`,
    `q=${encodeURIComponent(candidate.iin)}`,
    `q=${encodeURIComponent(groups[3].name)}`,
    `q=${encodeURIComponent(surname)}&sort=credibility&dir=asc`,
    `exam=${encodeURIComponent('Анатомия')}`,
    `exam=${encodeURIComponent('экзамен')}&sort=start&dir=asc`,
    `from=${day(7)}&to=${day(0)}`,
    `from=${day(90)}&to=${day(60)}&sort=end`,
    `group=${groups[10].id}`,
    `group=${groups[11].id}&sort=candidate&dir=asc`,
    'discipline=3',
    'discipline=5&status=finished&sort=credibility',
    'status=in_progress',
    'status=stopped&pkn=1',
    'cmin=0&cmax=40',
    'cmin=90&cmax=100&sort=credibility&dir=desc',
    'decision=none&status=finished',
    'decision=review',
    'decision=rejected&sort=end&dir=desc',
    'system=2',
    'pkn=1',
    'pkn=0&page=5',
    'archive=1',
    'sort=candidate',
    'sort=candidate&dir=desc&page=100',
    'sort=group&dir=asc',
    'sort=status',
    'sort=start&dir=asc',
    'sort=end&dir=desc',
    'sort=credibility&dir=asc',
    'sort=exam&dir=asc',
    'sort=decision',
    'sort=viewed&dir=desc',
    'group_by=student',
    'group_by=student&page=50',
    'group_by=student&sort=candidate&dir=asc',
    `group_by=student&q=${encodeURIComponent(surname)}`,
    `group_by=student&group=${groups[20].id}`,
    'group_by=student&status=finished&cmin=0&cmax=50',
    `group=${groups[30].id}&discipline=2&decision=accepted&sort=start`,
    `exam=${encodeURIComponent('Гистология')}&from=${day(200)}&to=${day(100)}&status=finished&sort=credibility&dir=asc`,
  ]
  return list.map((q) => `/staff/results${q ? `?${q}` : ''}`)
}

const failures: string[] = []

async function timeRequests(connection: Connection, cookie: string, paths: string[], label: string) {
  const ms: number[] = []
  const slow: string[] = []
  for (const path of paths) {
    const began = performance.now()
    const answer = await connection.request('GET', path, { cookie, 'accept-language': 'ru' })
    const took = performance.now() - began
    if (answer.status !== 200) {
      /* Counted and shown, not timed: a failing page is not a fast one. */
      failures.push(`${label}: ${path} answered ${answer.status}`)
      continue
    }
    ms.push(took)
    if (took > TARGET_MS) slow.push(`${took.toFixed(0)} ms ${path}`)
  }
  if (process.env.SLOW && slow.length) console.log(`  ${label}, over ${TARGET_MS} ms:\n    ${[...new Set(slow)].slice(0, 40).join('\n    ')}`)
  return ms
}

/* ---- the run ---- */

const appKey = randomBytes(32).toString('base64url')
const port = await freePort()
const env = appEnv(port, DATA, appKey)
await mkdir(CACHE, { recursive: true })
if (process.env.RESEED || !existsSync(CACHED_DB) || !existsSync(CACHED_FACTS)) {
  const seedDir = `${CACHE}/seeding`
  await seed(seedDir, appEnv(port, seedDir, appKey))
  await copyFile(join(seedDir, 'proctor.sqlite3'), CACHED_DB)
  await copyFile(join(seedDir, 'facts.json'), CACHED_FACTS)
  await rm(seedDir, { recursive: true, force: true })
} else {
  console.log(`reusing the seeded database ${CACHED_DB} (seed version ${SEED_VERSION}; RESEED=1 to make it again)`)
}
await rm(DATA, { recursive: true, force: true })
await mkdir(DATA, { recursive: true })
await copyFile(CACHED_DB, join(DATA, 'proctor.sqlite3'))
/* Migrations added since the seed (new indexes among them) run on the copy, as an upgrade would. */
const migrating = performance.now()
await run(NODE, ['ace.js', 'migration:run', '--force'], { env })
console.log(`migrations on the copy: ${((performance.now() - migrating) / 1000).toFixed(1)} s; database ${((await stat(join(DATA, 'proctor.sqlite3'))).size / 2 ** 20).toFixed(0)} MiB`)
/* The seed's running sessions were heard from minutes before it was made; a cached seed is
   older, and the app's sweep (S9) would close them all as abandoned while the pages are
   measured. They are heard from now, as running sessions would be. */
{
  const copy = new Database(join(DATA, 'proctor.sqlite3'))
  copy.prepare(`update proctoring_sessions set last_seen_at = ? where status = 'in_progress'`).run(stored(Date.now()))
  copy.close()
}
for (const [email, role] of [['bench-proctor@uni.kz', 'proctor'], ['bench-admin@uni.kz', 'admin']]) {
  await run(NODE, ['ace.js', 'user:create', '--email', email, '--name', `Бенч ${role}`, '--role', role, '--password', 'bench password 123'], { env })
}

const look = new Database(join(DATA, 'proctor.sqlite3'), { readonly: true })
const groups = look.prepare('select id, name from groups order by id').all() as { id: number; name: string }[]
const candidate = look.prepare('select full_name, iin from candidates where id = 777').get() as { full_name: string; iin: string }
const { reportSessionId } = JSON.parse(await readFile(CACHED_FACTS, 'utf8')) as { reportSessionId: number }
const report = look.prepare('select public_id as publicId from proctoring_sessions where id = ?').get(reportSessionId) as { publicId: string }
look.close()

const server = spawn(NODE, ['--import=@poppinss/ts-exec', 'bin/server.ts'], { env, stdio: ['ignore', 'inherit', 'inherit'] })
process.once('exit', () => server.kill('SIGKILL'))
for (let i = 0; ; i++) {
  if (await fetch(`${env.APP_URL}/health`).then((r) => r.ok).catch(() => false)) break
  if (i > 240) throw new Error('the app did not start')
  await new Promise((r) => setTimeout(r, 250))
}

const proctor = await logIn(env.APP_URL, 'bench-proctor@uni.kz', 'bench password 123')
const admin = await logIn(env.APP_URL, 'bench-admin@uni.kz', 'bench password 123')
const urls = resultUrls(groups, candidate)
const connection = new Connection('127.0.0.1', port)

/* A warm-up round (templates compiled, pages of the database in the cache), not counted. */
await timeRequests(connection, proctor, urls, 'warm-up')
const mix: string[] = []
for (let i = 0; mix.length < REQUESTS; i++) mix.push(urls[i % urls.length])
const half = Math.floor(mix.length / 2)
const resultsMs = [
  ...(await timeRequests(connection, proctor, mix.slice(0, half), 'results (proctor)')),
  ...(await timeRequests(connection, admin, mix.slice(half), 'results (admin)')),
]
const reportPath = `/staff/sessions/${report.publicId}`
await timeRequests(connection, proctor, Array(5).fill(reportPath), 'report warm-up')
const reportMs = await timeRequests(connection, proctor, Array(REPORT_REQUESTS).fill(reportPath), `report (${REPORT_EVENTS} events)`)
connection.close()
server.kill('SIGTERM')

if (failures.length) console.log(`${failures.length} request(s) failed (not timed):\n  ${[...new Set(failures)].slice(0, 10).join('\n  ')}`)
const fmt = (values: number[]) => `p50 ${percentile(values, 50).toFixed(1)} ms, p95 ${percentile(values, 95).toFixed(1)} ms`
console.log(`${cpus().length} cores; ${SESSIONS} sessions, ${EVENTS} events`)
console.log(`results page (HTML, ${urls.length} distinct URLs, ${resultsMs.length} requests): ${fmt(resultsMs)}`)
console.log(`report with ${REPORT_EVENTS} events (${reportMs.length} requests): ${fmt(reportMs)}`)
console.log(`p95 results page: ${percentile(resultsMs, 95).toFixed(1)} ms; p95 report (${REPORT_EVENTS} events): ${percentile(reportMs, 95).toFixed(1)} ms (target <= ${TARGET_MS} ms each${failures.length ? `; ${failures.length} failed` : ''})`)
process.exit(0)
