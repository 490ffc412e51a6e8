import { test } from '@japa/runner'
import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import ExcelJS from 'exceljs'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import Exam from '#models/exam'
import Group from '#models/group'
import Candidate from '#models/candidate'
import ProctoringSession from '#models/proctoring_session'
import AuditEntry from '#models/audit_entry'
import { staffUser } from '#tests/helpers/fixtures'
import { WebClient } from '#tests/helpers/http'
import { exportRows } from '#actions/reviews/export_results'
import type { StaffRole } from '#models/user'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import app from '@adonisjs/core/services/app'

const run = promisify(execFile)

const base = { durationMinutes: 30, violationLimit: 3, reconnectWindowSeconds: 300, requiresScreen: true, requiresPhone: false, weights: {}, rules: { allowed: [], forbidden: [] } }
let made = 0

async function loggedIn(role: StaffRole, language = 'en') {
  const { user, password } = await staffUser(role)
  const client = new WebClient(env.get('APP_URL'), language)
  await client.login(user.email, password)
  return { client, user }
}

/** An exam of 8 sessions of 4 students in 2 groups that differ in status, credibility, decision and who decided. */
async function anExam() {
  made++
  const token = `X${made}x${Date.now().toString(36)}`
  const exam = await Exam.create({ ...base, title: `Экспорт ${token}`, titleKk: `Экспорт ${token} kk`, passThreshold: 60 } as any)
  const groups = [await Group.create({ name: `ЭК-${token}-1` }), await Group.create({ name: `ЭК-${token}-2` })]
  const decider = (await staffUser('proctor')).user
  const names = ['Әлібек Қанатұлы', 'Борисова Вера', 'Жанова Гүлім', 'Ivanov Petr']
  const sessions: ProctoringSession[] = []
  for (let i = 0; i < 8; i++) {
    const candidate = await Candidate.create({ fullName: `${names[i % 4]} ${token}`, groupId: groups[i % 2].id, externalId: `${token}-${i}`, iin: i === 0 ? null : null })
    const decided = i % 3 === 1
    sessions.push(
      await ProctoringSession.create({
        publicId: randomUUID(),
        examId: exam.id,
        candidateId: candidate.id,
        status: i % 4 === 3 ? 'in_progress' : 'finished',
        startedAt: DateTime.fromISO(`2026-05-0${i + 1}T10:00:00`),
        endedAt: i % 4 === 3 ? null : DateTime.fromISO(`2026-05-0${i + 1}T10:40:00`),
        credibility: i % 4 === 3 ? null : 40 + i * 7,
        decision: decided ? 'accepted' : 'none',
        decidedBy: decided ? decider.id : null,
        decidedAt: decided ? DateTime.fromISO('2026-05-10T12:00:00') : null,
        violationCount: i % 3,
        archived: i === 7,
      } as any)
    )
  }
  return { token, exam, sessions, decider }
}

/** The sessions a results page lists, by public id, in order. */
async function pageRows(client: WebClient, query: string) {
  const html = await (await client.request(`/staff/results?${query}&size=100`)).text()
  return [...html.matchAll(/<tr data-session="([^"]+)"/g)].map((m) => m[1])
}

async function exported(client: WebClient, query: string) {
  const response = await client.request(`/staff/results/export?${query}`)
  const book = new ExcelJS.Workbook()
  await book.xlsx.load(Buffer.from(await response.arrayBuffer()) as any)
  const sheet = book.worksheets[0]
  const rows: any[][] = []
  sheet.eachRow((row) => rows.push((row.values as any[]).slice(1)))
  return { status: response.status, type: response.headers.get('content-type'), header: rows[0], rows: rows.slice(1) }
}

test.group('Results: the Excel export (issue 11)', () => {
  test('an Excel file read back with exceljs holds exactly the rows the page shows for the same filters', async ({ assert }) => {
    const { token, sessions, decider } = await anExam()
    const { client } = await loggedIn('proctor', 'ru')
    const ex = `exam=${encodeURIComponent(token)}`
    for (const query of [ex, `${ex}&status=finished&sort=credibility&dir=asc`, `${ex}&decision=accepted`, `${ex}&sort=candidate&dir=desc`, `${ex}&sort=group&dir=asc`, `${ex}&cmin=50&cmax=80`, `${ex}&archive=1`, `${ex}&group_by=student`]) {
      const shown = await pageRows(client, query.replace('&group_by=student', ''))
      const file = await exported(client, query)
      assert.equal(file.status, 200, query)
      assert.equal(file.type, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      assert.deepEqual(file.rows.map((row) => String(row[13]).split('/').pop()), shown, query)
    }
    const file = await exported(client, `${ex}&sort=start&dir=asc`)
    assert.deepEqual(file.header.slice(0, 5), ['Студент', 'ИИН', 'Группа', 'Наименование экзамена', 'Статус'])
    const first = file.rows[0]
    assert.equal(first[0], `Әлібек Қанатұлы ${token}`)
    assert.equal(first[4], 'Завершен')
    assert.equal(first[5], '01.05.2026 10:00:00')
    assert.strictEqual(first[7], 40)
    /* The second session was decided: by whom and when, and its counted violations, as numbers. */
    const second = file.rows[1]
    assert.equal(second[9], 'Принято')
    assert.equal(second[10], decider.fullName)
    assert.equal(second[11], '10.05.2026 12:00:00')
    assert.strictEqual(second[8], 1)
    assert.equal(second[13], `${env.get('APP_URL')}/staff/sessions/${sessions[1].publicId}`)

    const entry = await AuditEntry.query().where('action', 'results.export').orderBy('id', 'desc').firstOrFail()
    assert.equal((entry.details as any).rows, 7)
    assert.equal((entry.details as any).filters.sort, 'start')
  })

  test('a proctor limited to another exam exports none of these sessions; a list past the limit is not exported, and a bad filter is refused', async ({ assert }) => {
    const { token } = await anExam()
    const other = await Exam.create({ ...base, title: `Другой ${token}`, passThreshold: 60 } as any)
    const { client, user } = await loggedIn('proctor')
    await db.table('staff_scopes').insert({ user_id: user.id, exam_id: other.id, created_at: DateTime.now().toSQL({ includeOffset: false }) })
    const file = await exported(client, `exam=${encodeURIComponent(token)}`)
    assert.equal(file.status, 200)
    assert.lengthOf(file.rows, 0)

    const { rows, total } = await exportRows({ exam: token }, null, 'en', 5)
    assert.isNull(rows)
    assert.equal(total, 7)
    const { client: admin } = await loggedIn('admin', 'kk')
    const tooMany = await admin.request('/staff/results/export?status=bogus', { headers: { accept: 'application/json' } })
    assert.equal(tooMany.status, 422)
  })
  test('the statement PDF lists the same rows, numbered, under the exam\'s name, with who made it', async ({ assert }) => {
    const { token, sessions, decider } = await anExam()
    const { client, user } = await loggedIn('proctor', 'kk')
    const query = `exam=${encodeURIComponent(token)}&sort=start&dir=asc`
    const response = await client.request(`/staff/results/statement.pdf?${query}`)
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('content-type'), 'application/pdf')
    const folder = await mkdtemp(join(tmpdir(), 'statement-'))
    await writeFile(join(folder, 's.pdf'), Buffer.from(await response.arrayBuffer()))
    const { stdout } = await run('pdftotext', ['-layout', join(folder, 's.pdf'), '-'])
    const text = stdout.replace(/[ \t]+/g, ' ')
    assert.include(text, `Ведомость: Экспорт ${token} kk`)
    assert.include(text, `Жасаған: ${user.fullName}`)
    /* The rows in the page's order, numbered 1..7 (the archived one is not in the list). */
    const shown = await pageRows(client, query)
    assert.lengthOf(shown, 7)
    const order = shown.map((publicId) => sessions.findIndex((s) => s.publicId === publicId))
    let at = 0
    for (const [n, index] of order.entries()) {
      const name = ['Әлібек Қанатұлы', 'Борисова Вера', 'Жанова Гүлім', 'Ivanov Petr'][index % 4]
      const found = text.indexOf(`${n + 1} ${name}`, at)
      assert.isAbove(found, -1, `row ${n + 1}: ${name}`)
      at = found
    }
    assert.include(text, decider.fullName)
    await mkdir(app.makePath('tmp/screenshots'), { recursive: true })
    await run('pdftoppm', ['-png', '-r', '70', '-f', '1', '-l', '1', join(folder, 's.pdf'), app.makePath('tmp/screenshots/statement-pdf-kk')])
    await rm(folder, { recursive: true, force: true })
    const entry = await AuditEntry.query().where('action', 'results.statement').orderBy('id', 'desc').firstOrFail()
    assert.equal(entry.userId, user.id)
  })
})
