import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import Exam from '#models/exam'
import AuditEntry from '#models/audit_entry'
import Discipline from '#models/discipline'
import ProctoringSession from '#models/proctoring_session'
import { sqlTime } from '#services/sql_time'
import { examWithCandidate, staffUser, studentConfigFrom } from '#tests/helpers/fixtures'
import { WebClient, openStudentLink, studentApi } from '#tests/helpers/http'
import type { StaffRole } from '#models/user'

const baseUrl = () => env.get('APP_URL')

async function loggedIn(role: StaffRole, language = 'en') {
  const { user, password } = await staffUser(role)
  const client = new WebClient(baseUrl(), language)
  const login = await client.login(user.email, password)
  if (login.status !== 302) throw new Error(`${role} could not log in`)
  return client
}

/** The CSRF token of a page the client opens (the form's hidden field). */
async function csrfOf(client: WebClient, path: string) {
  const page = await (await client.request(path)).text()
  const token = /name='_csrf' value='([^']+)'/.exec(page)?.[1]
  if (!token) throw new Error(`${path} has no CSRF field`)
  return token
}

function post(client: WebClient, path: string, fields: Record<string, string | string[]>, csrf?: string) {
  const body = new URLSearchParams()
  if (csrf) body.append('_csrf', csrf)
  for (const [key, value] of Object.entries(fields)) for (const one of [value].flat()) body.append(key, one)
  return client.request(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() })
}

/** A complete, valid exam form. */
function examForm(overrides: Record<string, string | string[]> = {}): Record<string, string | string[]> {
  return {
    titleKk: 'Физика: қорытынды емтихан',
    titleRu: 'Физика: итоговый экзамен',
    titleEn: '',
    disciplineId: '',
    durationMinutes: '60',
    opensAt: '',
    closesAt: '',
    examUrl: 'https://lms.test.kz/mod/quiz/view.php?id=7',
    violationLimit: '3',
    'countedKinds[]': ['tab_hidden', 'focus_lost'],
    'weights[tab_hidden]': '2',
    'weights[focus_lost]': '1.5',
    'weights[face_mismatch]': '3',
    passThreshold: '75',
    'allowed[]': ['calculator'],
    'forbidden[]': ['phone', 'books'],
    rulesKk: 'Калькулятор тек қарапайым.',
    rulesRu: 'Калькулятор только простой.\nЧерновик сдать проктору.',
    rulesEn: '',
    reconnectWindowMinutes: '5',
    requiresScreen: 'on',
    requiresFace: 'on',
    ...overrides,
  }
}

const examCount = async () => Number((await db.from('exams').count('* as n'))[0].n)
const auditCount = async () => Number((await db.from('audit_entries').count('* as n'))[0].n)

test.group('Admin exams (issue 8)', () => {
  test('an admin creates and edits an exam through the forms, and each save is archived with what changed', async ({ assert }) => {
    const admin = await loggedIn('admin')
    const discipline = await Discipline.create({ name: `Физика ${Date.now()}`, code: null })

    const form = await (await admin.request('/staff/exams/new')).text()
    assert.include(form, 'name="titleKk"')
    assert.include(form, 'data-cost-for="tab_hidden"')
    const created = await post(admin, '/staff/exams', examForm({ disciplineId: String(discipline.id) }), await csrfOf(admin, '/staff/exams/new'))
    assert.equal(created.status, 302)
    assert.equal(created.headers.get('location'), '/staff/exams')

    const exam = await Exam.query().where('titleRu', 'Физика: итоговый экзамен').orderBy('id', 'desc').firstOrFail()
    assert.equal(exam.title, 'Физика: қорытынды емтихан')
    assert.equal(exam.titleKk, 'Физика: қорытынды емтихан')
    assert.isNull(exam.titleEn)
    assert.equal(exam.disciplineId, discipline.id)
    assert.equal(exam.violationLimit, 3)
    assert.deepEqual(exam.countedKinds, ['tab_hidden', 'focus_lost'])
    assert.equal(exam.weights.tab_hidden, 2)
    assert.equal(exam.weights.focus_lost, 1.5)
    assert.equal(exam.weights.face_mismatch, 3)
    assert.deepEqual(exam.rules.allowed, ['calculator'])
    assert.deepEqual(exam.rules.forbidden, ['phone', 'books'])
    assert.equal(exam.rules.text?.ru, 'Калькулятор только простой.\nЧерновик сдать проктору.')
    assert.equal(exam.reconnectWindowSeconds, 300)
    assert.isTrue(exam.requiresScreen)
    assert.isFalse(exam.requiresPhone)
    assert.isTrue(exam.requiresFace)
    assert.isFalse(exam.requiresDocument)
    /* The student in English sees a title in another language rather than none. */
    assert.equal(exam.titleIn('en'), 'Физика: қорытынды емтихан')
    assert.equal(exam.titleIn('ru'), 'Физика: итоговый экзамен')

    const createdEntry = await AuditEntry.query().where({ action: 'exam.create', subjectId: String(exam.id) }).firstOrFail()
    assert.deepEqual((createdEntry.details as any).changes.violationLimit, [null, 3])

    /* The list shows it, in the viewer's language, with its counts. */
    const ruAdmin = await loggedIn('admin', 'ru')
    const list = await (await ruAdmin.request('/staff/exams')).text()
    assert.include(list, 'Физика: итоговый экзамен')
    assert.include(list, discipline.name)

    /* Edit: the form shows what is stored; a change is archived as before -> after. */
    const editPath = `/staff/exams/${exam.id}/edit`
    const editPage = await (await admin.request(editPath)).text()
    assert.include(editPage, 'value="Физика: итоговый экзамен"')
    assert.include(editPage, 'https://lms.test.kz/mod/quiz/view.php?id=7')
    const updated = await post(
      admin,
      `/staff/exams/${exam.id}`,
      examForm({ disciplineId: String(discipline.id), durationMinutes: '90', titleEn: 'Physics: final exam', requiresDocument: 'on' }),
      await csrfOf(admin, editPath)
    )
    assert.equal(updated.status, 302)
    await exam.refresh()
    assert.equal(exam.durationMinutes, 90)
    assert.equal(exam.titleIn('en'), 'Physics: final exam')
    assert.isTrue(exam.requiresDocument)
    const entry = await AuditEntry.query().where({ action: 'exam.update', subjectId: String(exam.id) }).firstOrFail()
    const changes = (entry.details as any).changes
    assert.deepEqual(changes.durationMinutes, [60, 90])
    assert.deepEqual(changes.titleEn, [null, 'Physics: final exam'])
    assert.deepEqual(changes.requiresDocument, [false, true])
    assert.notProperty(changes, 'violationLimit')
  })

  test('bad form input shows errors next to its fields, keeps the form and stores nothing', async ({ assert }) => {
    const admin = await loggedIn('admin', 'ru')
    const [exams, entries] = [await examCount(), await auditCount()]
    const refused = await post(
      admin,
      '/staff/exams',
      examForm({ titleKk: '', titleRu: '', titleEn: '', examUrl: 'javascript:alert(1)', durationMinutes: '0', 'weights[copy]': '99' }),
      await csrfOf(admin, '/staff/exams/new')
    )
    assert.equal(refused.status, 422)
    const page = await refused.text()
    assert.include(page, 'data-error-code="VALIDATION_FAILED"')
    assert.match(page, /data-error-for="titleKk">Укажите наименование хотя бы на одном языке/)
    assert.match(page, /data-error-for="examUrl">Введите адрес, начинающийся с http/)
    assert.include(page, 'data-error-for="durationMinutes"')
    assert.include(page, 'data-error-for="weights.copy"')
    /* What was typed is still there. */
    assert.include(page, 'value="javascript:alert(1)"')
    assert.include(page, 'Черновик сдать проктору.')

    const backwards = await post(
      admin,
      '/staff/exams',
      examForm({ opensAt: '2026-12-01T10:00', closesAt: '2026-12-01T09:00', 'allowed[]': ['phone'] }),
      await csrfOf(admin, '/staff/exams/new')
    )
    assert.equal(backwards.status, 422)
    assert.match(await backwards.text(), /data-error-for="closesAt">Должно быть позже времени открытия/)

    /* Focus loss counted while the quiz would open in another tab: the address is asked for. */
    const noQuiz = await post(admin, '/staff/exams', examForm({ examUrl: '' }), await csrfOf(admin, '/staff/exams/new'))
    assert.equal(noQuiz.status, 422)
    assert.match(await noQuiz.text(), /data-error-for="examUrl">Укажите адрес теста: пока потеря фокуса/)

    const bothLists = await post(admin, '/staff/exams', examForm({ 'allowed[]': ['phone'] }), await csrfOf(admin, '/staff/exams/new'))
    assert.equal(bothLists.status, 422)
    assert.include(await bothLists.text(), 'data-error-for="forbidden"')

    assert.equal(await examCount(), exams)
    assert.equal(await auditCount(), entries)
  })

  test('a proctor and an auditor get 403 on every exams route', async ({ assert }) => {
    const { exam } = await examWithCandidate()
    const routes: [string, string][] = [
      ['GET', '/staff/exams'], ['GET', '/staff/exams/new'], ['POST', '/staff/exams'], ['GET', `/staff/exams/${exam.id}/edit`],
      ['POST', `/staff/exams/${exam.id}`], ['GET', `/staff/exams/${exam.id}/delete`], ['POST', `/staff/exams/${exam.id}/delete`],
      ['POST', `/staff/exams/${exam.id}/archive`],
    ]
    for (const role of ['proctor', 'auditor'] as const) {
      const client = await loggedIn(role)
      const csrf = await csrfOf(client, '/staff/results')
      for (const [method, path] of routes) {
        const response = method === 'GET' ? await client.request(path) : await post(client, path, examForm({ archived: '1' }), csrf)
        assert.equal(response.status, 403, `${role} ${method} ${path}`)
        assert.include(await response.text(), 'data-error-code="ROLE_FORBIDDEN"')
      }
    }
    await exam.refresh()
    assert.isFalse(exam.archived)
  })

  test('no exams form changes anything without its CSRF token', async ({ assert }) => {
    const admin = await loggedIn('admin')
    const { exam } = await examWithCandidate()
    const [exams, entries] = [await examCount(), await auditCount()]
    const attempts: [string, Record<string, string | string[]>][] = [
      ['/staff/exams', examForm()],
      [`/staff/exams/${exam.id}`, examForm({ durationMinutes: '99' })],
      [`/staff/exams/${exam.id}/archive`, { archived: '1' }],
      [`/staff/exams/${exam.id}/delete`, {}],
    ]
    for (const [path, fields] of attempts) {
      const response = await post(admin, path, fields)
      assert.equal(response.status, 302, path)
      assert.notEqual(response.headers.get('location'), '/staff/exams')
    }
    await exam.refresh()
    assert.equal(exam.durationMinutes, 30)
    assert.isFalse(exam.archived)
    assert.equal(await examCount(), exams)
    assert.equal(await auditCount(), entries)
  })

  test('delete of an exam with sessions is refused and archiving is offered; an unused exam is deleted', async ({ assert }) => {
    const admin = await loggedIn('admin')
    const { exam, link } = await examWithCandidate({ titleEn: 'Sat already' } as Partial<Exam>)
    await openStudentLink(baseUrl(), link)

    const confirm = await (await admin.request(`/staff/exams/${exam.id}/delete`)).text()
    assert.include(confirm, 'data-error-code="EXAM_HAS_SESSIONS"')
    assert.include(confirm, `action="/staff/exams/${exam.id}/archive"`)
    const csrf = await csrfOf(admin, `/staff/exams/${exam.id}/delete`)
    const refused = await post(admin, `/staff/exams/${exam.id}/delete`, {}, csrf)
    assert.equal(refused.status, 409)
    assert.include(await refused.text(), 'data-error-code="EXAM_HAS_SESSIONS"')
    assert.isNotNull(await Exam.find(exam.id))

    /* Archived: gone from the list, there again with the archive shown, sessions untouched. */
    assert.equal((await post(admin, `/staff/exams/${exam.id}/archive`, { archived: '1' }, csrf)).status, 302)
    assert.notInclude(await (await admin.request('/staff/exams')).text(), `data-exam="${exam.id}"`)
    assert.include(await (await admin.request('/staff/exams?archived=1')).text(), `data-exam="${exam.id}"`)
    assert.equal(await ProctoringSession.query().where('examId', exam.id).count('* as n').then((r) => Number(r[0].$extras.n)), 1)
    const archived = await AuditEntry.query().where({ action: 'exam.archive', subjectId: String(exam.id) }).firstOrFail()
    assert.deepEqual((archived.details as any).changes.archived, [false, true])

    const unused = await Exam.create({ title: 'Unused', durationMinutes: 30, violationLimit: 0, passThreshold: 70, reconnectWindowSeconds: 300, requiresScreen: true, requiresPhone: false, weights: {}, rules: { allowed: [], forbidden: [] } })
    assert.include(await (await admin.request(`/staff/exams/${unused.id}/delete`)).text(), `action="/staff/exams/${unused.id}/delete"`)
    assert.equal((await post(admin, `/staff/exams/${unused.id}/delete`, {}, csrf)).status, 302)
    assert.isNull(await Exam.find(unused.id))
    await AuditEntry.query().where({ action: 'exam.delete', subjectId: String(unused.id) }).firstOrFail()
  })

  test('the exams list counts candidates, not started, in progress, finished and ПКН', async ({ assert }) => {
    const admin = await loggedIn('admin')
    const { exam, candidate } = await examWithCandidate()
    const rows: [string, string | null][] = [['not_started', null], ['in_progress', null], ['finished', 'finished_by_student'], ['stopped', 'violation_limit'], ['stopped', 'violation_limit']]
    for (const [index, [status, endReason]] of rows.entries()) {
      await ProctoringSession.create({ publicId: `count-${exam.id}-${index}`, examId: exam.id, candidateId: candidate.id, systemId: null, status: status as any, endReason, decision: 'none', archived: false, violationCount: 0 })
    }
    const page = await (await admin.request('/staff/exams')).text()
    const row = new RegExp(`<tr data-exam="${exam.id}"[\\s\\S]*?</tr>`).exec(page)![0]
    const count = (name: string) => /data-count="\w+">\s*(?:<span[^>]*>)?(\d+)/.exec(row.slice(row.indexOf(`data-count="${name}"`)))![1]
    assert.equal(count('candidates'), '5')
    assert.equal(count('not_started'), '1')
    assert.equal(count('in_progress'), '1')
    assert.equal(count('finished'), '3')
    assert.equal(count('pkn'), '2')
  })

  test('opens/closes are enforced with their codes', async ({ assert }) => {
    const notYet = await examWithCandidate({ opensAt: DateTime.now().plus({ hours: 2 }) })
    const early = await fetch(`${baseUrl()}${notYet.link}`, { headers: { 'accept-language': 'ru' } })
    assert.equal(early.status, 403)
    const earlyPage = await early.text()
    assert.include(earlyPage, 'data-error-code="EXAM_NOT_OPEN_YET"')
    assert.include(earlyPage, `Экзамен еще не открыт. Он откроется ${notYet.exam.opensAt!.toFormat('dd.MM.yyyy HH:mm')}.`)
    assert.equal(await ProctoringSession.query().where('examId', notYet.exam.id).count('* as n').then((r) => Number(r[0].$extras.n)), 0)

    const over = await examWithCandidate({ closesAt: DateTime.now().minus({ minutes: 1 }) })
    const late = await fetch(`${baseUrl()}${over.link}`, { headers: { 'accept-language': 'kk' } })
    assert.equal(late.status, 403)
    assert.include(await late.text(), 'data-error-code="EXAM_CLOSED"')

    /* Opened in time, started after closing: the attempt is refused with the same code. */
    const open = await examWithCandidate({ closesAt: DateTime.now().plus({ hours: 1 }) })
    const student = await openStudentLink(baseUrl(), open.link)
    await Exam.query().where('id', open.exam.id).update({ closes_at: sqlTime(DateTime.now().minus({ seconds: 1 })) })
    const attempt = await studentApi(baseUrl(), student).startAttempt()
    assert.equal(attempt.status, 403)
    assert.equal(((await attempt.json()) as any).error.code, 'EXAM_CLOSED')
    const session = await ProctoringSession.findByOrFail('publicId', student.sessionId)
    assert.equal(session.status, 'not_started')
  })
  test('the student sees the exam in their language, its own rules, its limit with the counted kinds and only the steps it asks for', async ({ assert }) => {
    const { exam, link } = await examWithCandidate({
      title: 'Тарих',
      titleKk: 'Қазақстан тарихы',
      titleRu: 'История Казахстана',
      violationLimit: 3,
      countedKinds: ['tab_hidden'],
      requiresDocument: false,
      rules: { allowed: ['water'], forbidden: ['phone'], text: { kk: 'Жауап парағын камераға көрсетіңіз.', ru: 'Покажите лист ответов камере.' } },
    } as Partial<Exam>)
    const page = await (await fetch(`${baseUrl()}${link}`, { headers: { 'accept-language': 'kk' } })).text()
    assert.include(page, 'Қазақстан тарихы')
    assert.notInclude(page, 'История Казахстана')
    assert.include(page, 'Жауап парағын камераға көрсетіңіз.')
    assert.include(page, 'Рұқсат етілген бұзушылықтар саны: 3; келесісі емтиханды аяқтайды. Есептеледі: қойынды жасырылды.')
    assert.include(page, 'Емтихан алдында: бет суреті, экранды көрсету.')
    const config = JSON.parse(/<script type="application\/json" id="student-config">(.*?)<\/script>/s.exec(page)![1])
    assert.deepEqual({ face: config.identity.face, document: config.identity.document }, { face: false, document: true })

    /* In English (no English title or rules) it falls back to another language. */
    const english = await (await fetch(`${baseUrl()}${link}`, { headers: { 'accept-language': 'en' } })).text()
    assert.include(english, 'Қазақстан тарихы')
    assert.include(english, 'Жауап парағын камераға көрсетіңіз.')

    /* Only the counted kinds move the counter toward the limit. */
    const student = studentConfigFrom(page)
    assert.equal((await studentApi(baseUrl(), student).startAttempt()).status, 201)
    const send = async (type: string, id: string) =>
      (await (
        await fetch(`${baseUrl()}/api/student/sessions/${student.sessionId}/events`, {
          method: 'POST',
          headers: { 'authorization': `Bearer ${student.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ clientEventId: `${id}-${exam.id}`, type, agoMs: 10 }),
        })
      ).json()) as any
    assert.equal((await send('copy', 'copy-event')).violations, 0)
    assert.equal((await send('tab_hidden', 'hidden-event')).violations, 1)
  })
})
