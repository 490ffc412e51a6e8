import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import ExcelJS from 'exceljs'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import Exam from '#models/exam'
import AuditEntry from '#models/audit_entry'
import { staffUser } from '#tests/helpers/fixtures'
import { WebClient } from '#tests/helpers/http'
import { seeded } from '#tests/helpers/statistics_data'
import type { StaffRole } from '#models/user'

const base = { durationMinutes: 30, violationLimit: 3, reconnectWindowSeconds: 300, requiresScreen: true, requiresPhone: false, weights: {}, rules: { allowed: [], forbidden: [] } }

async function loggedIn(role: StaffRole, language = 'en') {
  const { user, password } = await staffUser(role)
  const client = new WebClient(env.get('APP_URL'), language)
  await client.login(user.email, password)
  return { client, user }
}

const numbers = (html: string, attribute: 'day' | 'hour') =>
  Object.fromEntries([...html.matchAll(new RegExp(`data-${attribute}="([^"]+)" data-n="(\\d+)"`, 'g'))].map((m) => [m[1], Number(m[2])]))

test.group('Statistics (issue 11, P7)', () => {
  test('the statistics match a seeded data set with known counts per day, hour and error type', async ({ assert }) => {
    const { exam, sessions } = await seeded()
    const { client } = await loggedIn('proctor', 'ru')
    const response = await client.request(`/staff/statistics?from=2026-03-01&to=2026-03-07&exam=${exam.id}`)
    assert.equal(response.status, 200)
    const html = await response.text()
    assert.deepEqual(numbers(html, 'day'), { '2026-03-01': 0, '2026-03-02': 3, '2026-03-03': 1, '2026-03-04': 0, '2026-03-05': 2, '2026-03-06': 0, '2026-03-07': 0 })
    const hours = numbers(html, 'hour')
    assert.equal(Object.keys(hours).length, 24)
    assert.deepEqual(Object.fromEntries(Object.entries(hours).filter(([, n]) => n > 0)), { '9': 3, '14': 1, '18': 2 })
    assert.include(html, 'сессий: 6')
    /* Checks: 5 sessions checked; 2 passed everything; 3 failed once; CAMERA_DENIED 2 (1 got in), UPLOAD_SLOW 1 (1). */
    assert.match(html, /data-testid="checks-passed">2 \(40 %\)/)
    assert.match(html, /data-testid="checks-failed">3 \(60 %\)/)
    const errors = [...html.matchAll(/<tr data-code="([A-Z_]+)"><td>([^<]+)<\/td><td>(\d+)<\/td><td>(\d+) \(([\d.]+) %\)<\/td><\/tr>/g)].map((m) => m.slice(1))
    assert.deepEqual(errors, [
      ['CAMERA_DENIED', 'Нет доступа к камере', '2', '1', '50'],
      ['UPLOAD_SLOW', 'Медленная отправка', '1', '1', '100'],
    ])
    /* Reconnections: two sessions joined again, the one with 3 attempts first. */
    assert.include(html, 'переподключались: 2')
    const reconnected = /data-testid="reconnections">([\s\S]*?)<\/table>/.exec(html)![1]
    const rows = [...reconnected.matchAll(/<tr><td><a href="\/staff\/sessions\/([^"]+)">[^<]*<\/a><\/td><td>[^<]*<\/td><td>(\d+)<\/td><\/tr>/g)].map((m) => [m[1], m[2]])
    assert.deepEqual(rows, [[sessions[0].publicId, '2'], [sessions[3].publicId, '1']])
    /* By exam: 6 sessions, 5 ended, 1 ПКН, average credibility (50+55+60+65+70+75)/6 = 62.5. */
    const byExam = /data-testid="by-exam">([\s\S]*?)<\/table>/.exec(html)![1]
    assert.match(byExam, new RegExp(`<td>Статистика [^<]+</td><td>6</td><td>5</td><td>1</td>\\s*<td>62.5 %</td>`))
  })

  test('the exams report downloads as Excel with the same counts, archived; days without sessions say so', async ({ assert }) => {
    const { exam } = await seeded()
    const { client, user } = await loggedIn('admin', 'en')
    const response = await client.request(`/staff/statistics/exams.xlsx?from=2026-03-01&to=2026-03-07&exam=${exam.id}`)
    assert.equal(response.status, 200)
    const book = new ExcelJS.Workbook()
    await book.xlsx.load(Buffer.from(await response.arrayBuffer()) as any)
    const rows: any[][] = []
    book.worksheets[0].eachRow((row) => rows.push((row.values as any[]).slice(1)))
    assert.deepEqual(rows[0].slice(0, 5), ['Exam', 'Sessions', 'Finished', 'In progress', 'ПКН'])
    assert.deepEqual(rows.slice(1).map((row) => row.slice(1)), [[6, 5, 0, 1, 0, 0, 0, 62.5]])
    const entry = await AuditEntry.query().where({ action: 'statistics.export', userId: user.id }).first()
    assert.isNotNull(entry)

    /* Per candidate: the student of the first session (3 attempts: 2 reconnections) and the ПКН one. */
    const people = await client.request(`/staff/statistics/candidates.xlsx?from=2026-03-01&to=2026-03-07&exam=${exam.id}`)
    const sheet = new ExcelJS.Workbook()
    await sheet.xlsx.load(Buffer.from(await people.arrayBuffer()) as any)
    const byName = new Map<string, any[]>()
    sheet.worksheets[0].eachRow((row, n) => {
      if (n > 1) byName.set(String((row.values as any[])[1]).split(' ')[1], (row.values as any[]).slice(1))
    })
    assert.equal(byName.size, 6)
    assert.deepEqual(byName.get('0')!.slice(3), [1, 1, 0, 50, 0, 2, 0, 0])
    assert.deepEqual(byName.get('4')!.slice(3), [1, 1, 1, 70, 0, 0, 0, 0])
    const page = await (await client.request(`/staff/statistics?from=2026-03-01&to=2026-03-07&exam=${exam.id}`)).text()
    assert.lengthOf([...page.matchAll(/<tr data-candidate=/g)], 6)

    const empty = await (await client.request(`/staff/statistics?from=2020-01-01&to=2020-01-31&exam=${exam.id}`)).text()
    assert.include(empty, 'data-testid="statistics-empty"')
    assert.include(empty, 'No sessions began in these days.')
  })

  test('a proctor limited to another exam counts none of these sessions; a reversed or too long range is refused', async ({ assert }) => {
    const { exam, token } = await seeded()
    const other = await Exam.create({ ...base, title: 'Другой экзамен', passThreshold: 60 } as any)
    const { client, user } = await loggedIn('proctor')
    await db.table('staff_scopes').insert({ user_id: user.id, exam_id: other.id, created_at: DateTime.now().toSQL({ includeOffset: false }) })
    const html = await (await client.request(`/staff/statistics?from=2026-03-01&to=2026-03-07&exam=${exam.id}`)).text()
    assert.include(html, 'data-testid="statistics-empty"')
    /* Nor is the exam offered in its filter. */
    const examSelect = /<select name="exam">([\s\S]*?)<\/select>/.exec(html)![1]
    assert.notInclude(examSelect, token)
    assert.include(examSelect, 'Другой экзамен')
    for (const query of ['from=2026-03-07&to=2026-03-01', 'from=2020-01-01&to=2026-01-01']) {
      const refused = await client.request(`/staff/statistics?${query}`, { headers: { accept: 'application/json' } })
      assert.equal(refused.status, 422, query)
      assert.equal((await refused.json()).error.code, 'STATISTICS_RANGE_INVALID')
    }
    const bad = await client.request('/staff/statistics?from=yesterday', { headers: { accept: 'application/json' } })
    assert.equal(bad.status, 422)
    assert.equal((await bad.json()).error.code, 'VALIDATION_FAILED')
  })
})
