import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import Candidate from '#models/candidate'
import Group from '#models/group'
import AuditEntry from '#models/audit_entry'
import { iinCheckDigit, isValidIin } from '#services/iin'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { WebClient, openStudentLink } from '#tests/helpers/http'

const baseUrl = () => env.get('APP_URL')

/** A logged-in staff member's browser, with the CSRF token its pages carry. */
async function staffBrowser(role: 'admin' | 'proctor' | 'auditor', language = 'en') {
  const { user, password } = await staffUser(role)
  const client = new WebClient(baseUrl(), language)
  await client.login(user.email, password)
  const page = await (await client.request('/staff/results')).text()
  const csrf = /name='_csrf' value='([^']+)'/.exec(page)![1]
  const post = (path: string, fields: Record<string, string>, withCsrf = true) =>
    client.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(withCsrf ? { _csrf: csrf, ...fields } : fields).toString(),
    })
  return { user, client, csrf, post }
}

/** A valid IIN that no other test uses: eleven digits from a counter, then the check digit. */
const usedIins = new Set<string>()
export function freshIin() {
  for (;;) {
    const first = `99${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`
    const check = iinCheckDigit(first)
    if (check !== null && !usedIins.has(first)) {
      usedIins.add(first)
      return `${first}${check}`
    }
  }
}

const candidateCount = async () => Number((await db.from('candidates').count('* as n'))[0].n)

test.group('IIN check digit (app/services/iin.ts)', () => {
  test('known-valid IINs pass, including ones that need the second weighting pass', ({ assert }) => {
    /* The last two need the second pass (the first gives 10). */
    for (const iin of ['900101300017', '850315400124', '020202500331', '900101300811', '900101302418']) {
      assert.isTrue(isValidIin(iin), iin)
    }
  })

  test('a changed digit, a wrong length, letters and spaces are refused', ({ assert }) => {
    for (const iin of ['900101300018', '900101300117', '910101300017', '900110300017', '90010130001', '9001013000170', '90010130001a', '9001 01300017', '', '900101300810']) {
      assert.isFalse(isValidIin(iin), iin)
    }
    /* Eleven digits whose both passes give 10 can start no IIN. */
    assert.isNull(iinCheckDigit('90010130161'))
    assert.isFalse(isValidIin('900101301610'))
  })
})

test.group('Candidates list and form (issue 8)', () => {
  test('the list is empty at first and says how to add candidates; the admin sees it in the menu', async ({ assert }) => {
    const admin = await staffBrowser('admin')
    const page = await (await admin.client.request('/staff/candidates')).text()
    assert.include(page, 'href="/staff/candidates"')
    if ((await candidateCount()) === 0) assert.include(page, 'data-testid="candidates-empty"')
    const proctor = await staffBrowser('proctor')
    assert.notInclude(await (await proctor.client.request('/staff/results')).text(), 'href="/staff/candidates"')
  })

  test('creating a candidate with a bad IIN, a bad e-mail and no name shows each error next to its field and keeps the form', async ({ assert }) => {
    const admin = await staffBrowser('admin', 'ru')
    const before = await candidateCount()
    const response = await admin.post('/staff/candidates', { fullName: '', iin: '900101300018', email: 'not-an-email', externalId: 'keep-me-42' })
    assert.equal(response.status, 422)
    const page = await response.text()
    assert.include(page, 'data-field-error="FULL_NAME_REQUIRED"')
    assert.include(page, 'data-field-error="IIN_INVALID"')
    assert.include(page, 'data-field-error="EMAIL_INVALID"')
    assert.include(page, 'ИИН должен состоять из 12 цифр с верной контрольной цифрой')
    assert.include(page, 'value="keep-me-42"')
    assert.include(page, 'value="900101300018"')
    assert.equal(await candidateCount(), before)
  })

  test('a candidate is created, edited and each change archived with what changed; a taken IIN is refused', async ({ assert }) => {
    const admin = await staffBrowser('admin')
    const group = await Group.create({ name: `Форма-${Date.now()}` })
    const iin = freshIin()
    const created = await admin.post('/staff/candidates', { fullName: 'Серікова Дана', groupId: String(group.id), iin, email: 'dana@uni.kz', externalId: '' })
    assert.equal(created.status, 302)
    assert.equal(created.headers.get('location'), '/staff/candidates')
    const candidate = await Candidate.findByOrFail('iin', iin)
    assert.equal(candidate.groupId, group.id)
    assert.isNull(candidate.externalId)

    const edited = await admin.post(`/staff/candidates/${candidate.id}`, { fullName: 'Серікова Дана Ерланқызы', groupId: String(group.id), iin, email: 'dana.s@uni.kz' })
    assert.equal(edited.status, 302)
    await candidate.refresh()
    assert.equal(candidate.fullName, 'Серікова Дана Ерланқызы')
    assert.equal(candidate.email, 'dana.s@uni.kz')

    const entries = await AuditEntry.query().where({ subjectType: 'candidate', subjectId: String(candidate.id) }).orderBy('id')
    assert.deepEqual(entries.map((e) => e.action), ['candidate.create', 'candidate.update'])
    assert.deepEqual((entries[1].details as any).changes, {
      fullName: ['Серікова Дана', 'Серікова Дана Ерланқызы'],
      email: ['dana@uni.kz', 'dana.s@uni.kz'],
    })

    const twin = await admin.post('/staff/candidates', { fullName: 'Другой Человек', iin })
    assert.equal(twin.status, 422)
    assert.include(await twin.text(), 'data-field-error="IIN_TAKEN"')
  })

  test('search finds by name, IIN, e-mail and external id; the group filter shows only that group', async ({ assert }) => {
    const admin = await staffBrowser('admin')
    const stamp = Date.now()
    const a = await Group.create({ name: `Поиск-A-${stamp}` })
    const b = await Group.create({ name: `Поиск-B-${stamp}` })
    const iin = freshIin()
    await Candidate.createMany([
      { fullName: `Жанар Искомая ${stamp}`, groupId: a.id, iin, email: `zhanar${stamp}@uni.kz`, externalId: `ext-${stamp}` },
      { fullName: `Болат Другой ${stamp}`, groupId: b.id, iin: null, email: null, externalId: `other-${stamp}` },
    ])
    const rows = async (query: string) => {
      const html = await (await admin.client.request(`/staff/candidates?${query}`)).text()
      return [...html.matchAll(/<tr data-candidate="\d+">\s*<td>([^<]+)<\/td>/g)].map((m) => m[1])
    }
    for (const q of [`Искомая ${stamp}`, iin, `zhanar${stamp}@`, `ext-${stamp}`]) {
      assert.deepEqual(await rows(`q=${encodeURIComponent(q)}`), [`Жанар Искомая ${stamp}`], q)
    }
    assert.deepEqual(await rows(`group=${b.id}`), [`Болат Другой ${stamp}`])
    assert.deepEqual(await rows(`group=${a.id}&q=${encodeURIComponent('Болат')}`), [])
    const none = await (await admin.client.request(`/staff/candidates?q=nobody-${stamp}`)).text()
    assert.include(none, 'Nobody matches these filters')
  })

  test('deleting asks first, removes a candidate without sessions and refuses one who has sat an exam', async ({ assert }) => {
    const admin = await staffBrowser('admin')
    const lonely = await Candidate.create({ fullName: 'Удаляемый Кандидат', externalId: `del-${Date.now()}` })
    const form = await (await admin.client.request(`/staff/candidates/${lonely.id}/edit`)).text()
    assert.match(form, /<details class="card danger-zone">[\s\S]*action="\/staff\/candidates\/\d+\/delete"/)
    const deleted = await admin.post(`/staff/candidates/${lonely.id}/delete`, {})
    assert.equal(deleted.status, 302)
    assert.isNull(await Candidate.find(lonely.id))
    const archived = await AuditEntry.query().where({ action: 'candidate.delete', subjectId: String(lonely.id) }).firstOrFail()
    assert.equal((archived.details as any).deleted.fullName, 'Удаляемый Кандидат')

    const { candidate, link } = await examWithCandidate()
    await openStudentLink(baseUrl(), link)
    const refused = await admin.post(`/staff/candidates/${candidate.id}/delete`, {})
    assert.equal(refused.status, 409)
    assert.include(await refused.text(), 'data-error-code="CANDIDATE_HAS_SESSIONS"')
    assert.isNotNull(await Candidate.find(candidate.id))
  })
})

test.group('Candidates: who may do what (issue 8)', () => {
  const pages = ['/staff/candidates', '/staff/candidates/new', '/staff/candidates/import', '/staff/candidates/template.xlsx', '/staff/candidates/export.csv', '/staff/candidates/export.xlsx']

  test('a proctor and an auditor get 403 on every candidates route', async ({ assert }) => {
    const { candidate } = await examWithCandidate()
    for (const role of ['proctor', 'auditor'] as const) {
      const staff = await staffBrowser(role)
      for (const page of [...pages, `/staff/candidates/${candidate.id}/edit`, '/staff/candidates/import/0123456789abcdef0123456789abcdef']) {
        const response = await staff.client.request(page)
        assert.equal(response.status, 403, `${role} GET ${page}`)
        assert.include(await response.text(), 'data-error-code="ROLE_FORBIDDEN"')
      }
      for (const path of ['/staff/candidates', `/staff/candidates/${candidate.id}`, `/staff/candidates/${candidate.id}/delete`, '/staff/candidates/import', '/staff/candidates/import/0123456789abcdef0123456789abcdef']) {
        const response = await staff.post(path, { fullName: 'Чужой' })
        assert.equal(response.status, 403, `${role} POST ${path}`)
      }
    }
    await candidate.refresh()
    assert.notEqual(candidate.fullName, 'Чужой')
  })

  test('no candidates form changes anything without its CSRF token', async ({ assert }) => {
    const admin = await staffBrowser('admin')
    const target = await Candidate.create({ fullName: 'Без Токена', externalId: `csrf-${Date.now()}` })
    const count = candidateCount
    const before = await count()
    const attempts: [string, Record<string, string>][] = [
      ['/staff/candidates', { fullName: 'Подделка Запроса' }],
      [`/staff/candidates/${target.id}`, { fullName: 'Подделка Запроса' }],
      [`/staff/candidates/${target.id}/delete`, {}],
      ['/staff/candidates/import/0123456789abcdef0123456789abcdef', {}],
    ]
    for (const [path, fields] of attempts) {
      const response = await admin.post(path, fields, false)
      assert.equal(response.status, 302, path)
      assert.notEqual(response.headers.get('location'), '/staff/candidates', path)
    }
    /* The upload, whose token is checked after the multipart body is read. */
    const form = new FormData()
    form.append('file', new Blob(['full_name;iin\nПодделка Запроса;900101300017\n']), 'list.csv')
    const upload = await admin.client.request('/staff/candidates/import', { method: 'POST', body: form })
    assert.equal(upload.status, 302)
    assert.notMatch(upload.headers.get('location') ?? '', /import\/[0-9a-f]{32}/)
    await target.refresh()
    assert.equal(target.fullName, 'Без Токена')
    assert.equal(await count(), before)
  })
})

test.group('Groups, disciplines and systems (issue 8)', () => {
  test('a group, a discipline and a system are added, renamed and deleted from the directory, each change archived', async ({ assert }) => {
    const admin = await staffBrowser('admin')
    const stamp = Date.now()
    const empty = await (await admin.client.request('/staff/directory')).text()
    assert.include(empty, 'id="groups"')
    assert.include(empty, 'id="systems"')

    assert.equal((await admin.post('/staff/directory/groups', { name: `ИС-${stamp}` })).status, 302)
    assert.equal((await admin.post('/staff/directory/disciplines', { name: `Физика ${stamp}`, code: 'PHY101' })).status, 302)
    assert.equal((await admin.post('/staff/directory/systems', { name: `Moodle ${stamp}`, kind: 'lti', active: '1', issuer: 'https://moodle.uni.kz', jwksUrl: 'https://moodle.uni.kz/mod/lti/certs.php' })).status, 302)
    const group = await Group.findByOrFail('name', `ИС-${stamp}`)
    const page = await (await admin.client.request('/staff/directory')).text()
    assert.include(page, `Физика ${stamp}`)
    assert.include(page, `Moodle ${stamp}`)

    const renamed = await admin.post(`/staff/directory/groups/${group.id}`, { name: `ИС-${stamp}-бис` })
    assert.equal(renamed.status, 302)
    await group.refresh()
    assert.equal(group.name, `ИС-${stamp}-бис`)
    const update = await AuditEntry.query().where({ action: 'group.update', subjectId: String(group.id) }).firstOrFail()
    assert.deepEqual((update.details as any).changes, { name: [`ИС-${stamp}`, `ИС-${stamp}-бис`] })

    assert.equal((await admin.post(`/staff/directory/groups/${group.id}/delete`, {})).status, 302)
    assert.isNull(await Group.find(group.id))
    assert.isNotNull(await AuditEntry.query().where({ action: 'group.delete', subjectId: String(group.id) }).first())
  })

  test('the directory forms show errors beside their fields, refuse a taken group name and a bad URL', async ({ assert }) => {
    const admin = await staffBrowser('admin', 'kk')
    const existing = await Group.create({ name: `Бар-${Date.now()}` })
    const twin = await admin.post('/staff/directory/groups', { name: existing.name })
    assert.equal(twin.status, 422)
    assert.include(await twin.text(), 'data-field-error="GROUP_NAME_TAKEN"')
    const blank = await admin.post('/staff/directory/disciplines', { name: '' })
    assert.equal(blank.status, 422)
    assert.include(await blank.text(), 'data-field-error="NAME_REQUIRED"')
    const badUrl = await admin.post('/staff/directory/systems', { name: 'LMS', kind: 'lti', jwksUrl: 'javascript:alert(1)' })
    assert.equal(badUrl.status, 422)
    const html = await badUrl.text()
    assert.include(html, 'data-field-error="URL_INVALID"')
    assert.include(html, 'https:// деп басталатын')
  })

  test('a group with candidates is not deleted; a proctor and an auditor get 403 on the directory', async ({ assert }) => {
    const admin = await staffBrowser('admin')
    const { candidate } = await examWithCandidate()
    const refused = await admin.post(`/staff/directory/groups/${candidate.groupId}/delete`, {})
    assert.equal(refused.status, 409)
    assert.include(await refused.text(), 'data-error-code="DIRECTORY_IN_USE"')
    assert.isNotNull(await Group.find(candidate.groupId!))
    for (const role of ['proctor', 'auditor'] as const) {
      const staff = await staffBrowser(role)
      assert.equal((await staff.client.request('/staff/directory')).status, 403)
      assert.equal((await staff.client.request(`/staff/directory/groups/${candidate.groupId}/edit`)).status, 403)
      assert.equal((await staff.post('/staff/directory/groups', { name: `Чужая-${role}` })).status, 403)
      assert.equal((await staff.post(`/staff/directory/groups/${candidate.groupId}/delete`, {})).status, 403)
    }
    assert.isNull(await Group.findBy('name', 'Чужая-proctor'))
    const noToken = await admin.post('/staff/directory/groups', { name: 'Без токена' }, false)
    assert.equal(noToken.status, 302)
    assert.isNull(await Group.findBy('name', 'Без токена'))
  })
})
