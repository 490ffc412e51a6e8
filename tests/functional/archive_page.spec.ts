import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import env from '#start/env'
import ProctoringSession from '#models/proctoring_session'
import { recordAction } from '#actions/audit/record_action'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { WebClient, openStudentLink } from '#tests/helpers/http'
import type { StaffRole } from '#models/user'

const baseUrl = () => env.get('APP_URL')

async function loggedIn(role: StaffRole, language = 'ru', iin: string | null = null) {
  const { user, password } = await staffUser(role)
  if (iin) {
    user.iin = iin
    await user.save()
  }
  const client = new WebClient(baseUrl(), language)
  await client.login(user.email, password)
  return { client, user }
}

async function sessionOfNewStudent() {
  const { sessionId } = await openStudentLink(baseUrl(), (await examWithCandidate()).link)
  return ProctoringSession.findByOrFail('publicId', sessionId)
}

async function csrfOf(client: WebClient, path: string) {
  const page = await (await client.request(path)).text()
  const token = /name='_csrf' value='([^']+)'/.exec(page)?.[1]
  if (!token) throw new Error(`${path} has no CSRF field`)
  return token
}

async function verify(client: WebClient, htmx = false) {
  const csrf = await csrfOf(client, '/staff/archive')
  return client.request('/staff/archive/verify', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(htmx ? { 'hx-request': 'true' } : {}) },
    body: new URLSearchParams({ _csrf: csrf }).toString(),
  })
}

/** The entry ids of the archive table's rows, in page order. */
const rowIds = (html: string) => [...html.matchAll(/<tr data-entry="(\d+)"/g)].map((m) => Number(m[1]))

let unique = 0
/** An actor nobody else uses, so a filter on their name or IIN finds only what a test wrote. */
function someone() {
  unique++
  const stamp = `${Date.now() % 1_000_000}`.padStart(6, '0')
  return { userId: null, name: `Архивариус ${stamp}-${unique}`, iin: `77${stamp}${String(unique).padStart(4, '0')}`, role: 'admin' }
}

const archiveCount = async () => Number((await db.from('audit_entries').count('* as n'))[0].n)

test.group('Action archive page', () => {
  test('lists every entry newest first with the columns №, name, IIN, date-time, action and target', async ({ assert }) => {
    const session = await sessionOfNewStudent()
    const actor = someone()
    const older = await recordAction(actor, { action: 'exam.update', subjectType: 'exam', subjectId: 3 })
    const newer = await recordAction(actor, { action: 'report.view', subjectType: 'session', subjectId: session.publicId })
    const { client } = await loggedIn('auditor', 'ru')

    const page = await (await client.request('/staff/archive')).text()
    for (const column of ['№', 'ФИО', 'ИИН', 'Дата', 'Действие', 'Объект']) assert.include(page, `>${column}</th>`)
    const ids = rowIds(page)
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first')
    assert.isBelow(ids.indexOf(newer.id), ids.indexOf(older.id))

    const row = new RegExp(`<tr data-entry="${newer.id}"[\\s\\S]*?</tr>`).exec(page)![0]
    assert.include(row, actor.name)
    assert.include(row, actor.iin)
    assert.include(row, DateTime.fromISO(newer.createdAt).toFormat('dd.MM.yyyy HH:mm:'))
    assert.include(row, 'Просмотрел отчёт')
    assert.include(row, `href="/staff/sessions/${session.publicId}"`)

    /* In Kazakh and English the same row reads in that language. */
    const kk = await (await client.request('/staff/archive?lang=kk')).text()
    assert.include(kk, 'Есепті қарады')
    assert.include(kk, 'Әрекеттер мұрағаты')
  })

  test('filters by who (name or IIN), action, target and date range, keeps them in the URL, and says when nothing matches', async ({ assert }) => {
    const session = await sessionOfNewStudent()
    const actor = someone()
    const view = await recordAction(actor, { action: 'report.view', subjectType: 'session', subjectId: session.publicId })
    const download = await recordAction(actor, {
      action: 'recording.download',
      subjectType: 'recording',
      subjectId: 987654,
      details: { session: session.publicId, stream: 'webcam' },
    })
    const other = await recordAction(actor, { action: 'exam.update', subjectType: 'exam', subjectId: 5 })
    const { client } = await loggedIn('admin', 'en')
    const ids = async (query: string) => rowIds(await (await client.request(`/staff/archive?${query}`)).text())

    assert.sameMembers(await ids(`who=${encodeURIComponent(actor.name)}`), [view.id, download.id, other.id])
    assert.sameMembers(await ids(`who=${actor.iin}`), [view.id, download.id, other.id])
    assert.sameMembers(await ids(`who=${actor.iin.slice(0, 8)}&action=report.view`), [view.id])
    assert.sameMembers(await ids(`who=${encodeURIComponent(actor.name)}&action=recording.download`), [download.id])
    assert.sameMembers(await ids(`target=${encodeURIComponent(`session:${session.publicId}`)}`), [view.id])
    /* A bare session id finds the report's entries and the recording accesses that name it. */
    assert.sameMembers(await ids(`target=${session.publicId}`), [view.id, download.id])
    assert.sameMembers(await ids(`target=exam:5&who=${actor.iin}`), [other.id])

    const today = DateTime.now().toISODate()!
    const tomorrow = DateTime.now().plus({ days: 1 }).toISODate()!
    const yesterday = DateTime.now().minus({ days: 1 }).toISODate()!
    assert.sameMembers(await ids(`who=${actor.iin}&from=${today}&to=${today}`), [view.id, download.id, other.id])
    assert.deepEqual(await ids(`who=${actor.iin}&to=${yesterday}`), [])

    /* The filters stay in the form, and "no matches" is not "the archive is empty". */
    const none = await (await client.request(`/staff/archive?who=${actor.iin}&from=${tomorrow}&action=report.view`)).text()
    assert.include(none, 'data-testid="archive-no-matches"')
    assert.include(none, 'No matching entries')
    assert.notInclude(none, 'data-testid="archive-empty"')
    assert.include(none, `value="${actor.iin}"`)
    assert.include(none, `value="${tomorrow}"`)
    assert.match(none, /<option value="report.view" selected>Viewed the report<\/option>/)

    /* The action list offers the actions the archive holds, in words. */
    const page = await (await client.request('/staff/archive')).text()
    assert.match(page, /<option value="recording.download" >Downloaded a recording<\/option>/)

    /* The HTMX table alone, for the filters' live updates. */
    const fragment = await client.request(`/staff/archive?who=${actor.iin}`, { headers: { 'hx-request': 'true', 'hx-target': 'archive-table' } })
    const table = await fragment.text()
    assert.notInclude(table, '<html')
    assert.sameMembers(rowIds(table), [view.id, download.id, other.id])
  })

  test('the pager keeps the filters and shows a window of pages', async ({ assert }) => {
    const actor = someone()
    for (let i = 0; i < 120; i++) await recordAction(actor, { action: 'report.view', subjectType: 'session', subjectId: `page-${i}` })
    const { client } = await loggedIn('auditor', 'en')
    const page = await (await client.request(`/staff/archive?who=${actor.iin}&action=report.view`)).text()
    assert.lengthOf(rowIds(page), 50)
    assert.include(page, '120 entries')
    assert.include(page, `/staff/archive?who=${actor.iin}&amp;action=report.view&amp;target=&amp;from=&amp;to=&amp;page=3`)
    const third = await (await client.request(`/staff/archive?who=${actor.iin}&action=report.view&page=3`)).text()
    assert.lengthOf(rowIds(third), 20)
  })

  test('an auditor verifies the archive and sees it intact; the check is archived and changes nothing else', async ({ assert }) => {
    const { client, user } = await loggedIn('auditor', 'ru')
    const redirect = await verify(client)
    assert.equal(redirect.status, 302)
    assert.equal(redirect.headers.get('location'), '/staff/archive')
    const page = await (await client.request('/staff/archive')).text()
    const result = /<div class="alert alert-ok"[^>]*data-testid="archive-verified" data-ok="true">([\s\S]*?)<\/div>/.exec(page)
    assert.isNotNull(result)
    assert.match(result![1], /Архив не нарушен: проверено записей — \d+\./)

    const entry = await db.from('audit_entries').where('action', 'archive.verify').where('user_id', user.id).orderBy('id', 'desc').first()
    assert.exists(entry)
    assert.isTrue(JSON.parse(entry.details).ok)

    /* Through HTMX the result comes back as the result box alone. */
    const before = await archiveCount()
    const htmx = await (await verify(client, true)).text()
    assert.include(htmx, 'data-ok="true"')
    assert.notInclude(htmx, '<html')
    assert.equal(await archiveCount(), before + 1)
  })

  test('a tampered entry is reported as the first broken entry', async ({ assert, cleanup }) => {
    const tampered = await recordAction(someone(), { action: 'session.decision', subjectType: 'session', subjectId: 'x', details: { from: 'none', to: 'rejected' } })
    await recordAction(someone(), { action: 'report.view', subjectType: 'session', subjectId: 'x' })
    await db.from('audit_entries').where('id', tampered.id).update({ details: JSON.stringify({ from: 'none', to: 'accepted' }) })
    cleanup(async () => {
      await db.from('audit_entries').where('id', tampered.id).update({ details: JSON.stringify({ from: 'none', to: 'rejected' }) })
    })
    const { client, user } = await loggedIn('admin', 'en')

    const box = await (await verify(client, true)).text()
    assert.include(box, 'data-ok="false"')
    assert.include(box, `data-entry="${tampered.id}"`)
    assert.include(box, `The archive is broken from entry No. ${tampered.id}: an entry was changed after it was written.`)
    const entry = await db.from('audit_entries').where('action', 'archive.verify').where('user_id', user.id).orderBy('id', 'desc').first()
    assert.deepInclude(JSON.parse(entry.details), { ok: false, entryId: tampered.id, kind: 'entry_altered' })
  })

  test('proctors and students cannot reach the archive; auditors and admins find it in the menu', async ({ assert }) => {
    const { client: proctor } = await loggedIn('proctor', 'en')
    assert.equal((await proctor.request('/staff/archive')).status, 403)
    const csrf = await csrfOf(proctor, '/staff/results')
    const before = await archiveCount()
    const post = await proctor.request('/staff/archive/verify', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'hx-request': 'true' },
      body: new URLSearchParams({ _csrf: csrf }).toString(),
    })
    assert.equal(post.status, 403)
    assert.equal(await archiveCount(), before)
    assert.notInclude(await (await proctor.request('/staff/results')).text(), 'href="/staff/archive"')

    const anonymous = new WebClient(baseUrl())
    const away = await anonymous.request('/staff/archive')
    assert.equal(away.status, 302)
    assert.equal(away.headers.get('location'), '/login')

    const { client: auditor } = await loggedIn('auditor', 'en')
    assert.include(await (await auditor.request('/staff/results')).text(), 'href="/staff/archive"')
  })

  test("the report's archive panel lists who viewed it, downloaded its photos, set its decision and added incidents", async ({ assert }) => {
    const session = await sessionOfNewStudent()
    const elsewhere = await sessionOfNewStudent()
    const { client: proctor, user } = await loggedIn('proctor', 'ru', '880101300111')
    assert.equal((await proctor.request(`/staff/sessions/${session.publicId}`)).status, 200)
    assert.equal((await proctor.request(`/staff/sessions/${elsewhere.publicId}`)).status, 200)
    const actor = { userId: user.id, name: user.fullName, iin: user.iin, role: 'proctor' }
    await recordAction(actor, { action: 'session.decision', subjectType: 'session', subjectId: session.publicId, details: { from: 'none', to: 'accepted', comment: null } })
    await recordAction(actor, { action: 'incident.create', subjectType: 'session', subjectId: session.publicId, details: { kind: 'incident', start: 10, end: 20, comment: 'Подсказка' } })
    await recordAction(actor, { action: 'photo.download', subjectType: 'photo', subjectId: 'face', details: { session: session.publicId } })

    /* The report loads its panel. */
    const report = await (await proctor.request(`/staff/sessions/${session.publicId}`)).text()
    assert.include(report, `hx-get="/staff/sessions/${session.publicId}/archive"`)

    const { client: auditor } = await loggedIn('auditor', 'ru')
    const panel = await (await auditor.request(`/staff/sessions/${session.publicId}/archive`)).text()
    assert.include(panel, 'Архив действий по отчёту')
    assert.include(panel, user.fullName)
    assert.include(panel, '880101300111')
    assert.include(panel, 'Просмотрел отчёт')
    assert.include(panel, 'Вынес решение')
    assert.include(panel, 'Нет решения → Принято')
    assert.include(panel, 'Скачал фото')
    assert.include(panel, 'Добавил нарушение вручную')
    const own = rowIds(panel)
    const elsewhereViews = await db.from('audit_entries').where('subject_id', elsewhere.publicId).select('id')
    for (const row of elsewhereViews) assert.notInclude(own, row.id)
  })
})
