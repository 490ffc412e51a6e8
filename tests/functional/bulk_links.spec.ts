import { test } from '@japa/runner'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import ExcelJS from 'exceljs'
import env from '#start/env'
import Group from '#models/group'
import Candidate from '#models/candidate'
import IssuedLink from '#models/issued_link'
import AuditEntry from '#models/audit_entry'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { WebClient, openStudentLink } from '#tests/helpers/http'

const baseUrl = () => env.get('APP_URL')
const run = promisify(execFile)

/** A staff member logged in through the login form, and the CSRF token of the links page. */
async function loggedIn(role: 'admin' | 'proctor' | 'auditor', language = 'en') {
  const { user, password } = await staffUser(role)
  const client = new WebClient(baseUrl(), language)
  await client.login(user.email, password)
  const page = await (await client.request('/staff/results')).text()
  const csrf = /name='_csrf' value='([^']+)'/.exec(page)?.[1] ?? ''
  return { client, csrf, user }
}

function post(client: WebClient, path: string, fields: [string, string][]) {
  return client.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  })
}

/** A group of `size` new candidates, and an exam. */
async function groupOf(size: number) {
  const { exam } = await examWithCandidate()
  const group = await Group.create({ name: `ЛНК-${Date.now() % 100000}-${Math.floor(Math.random() * 1000)}` })
  const candidates = []
  for (let i = 0; i < size; i++) {
    candidates.push(await Candidate.create({ fullName: `Группалық Студент ${i}`, groupId: group.id, externalId: `bulk-${group.id}-${i}` }))
  }
  return { exam, group, candidates }
}

test.group('Entry links in bulk (issue 8)', () => {
  test('an admin issues the links of a whole group at once; they are listed and open from APP_URL', async ({ assert }) => {
    const { exam, group, candidates } = await groupOf(3)
    const { client, csrf, user } = await loggedIn('admin')
    const response = await post(client, '/staff/links', [
      ['_csrf', csrf],
      ['examIds[]', String(exam.id)],
      ['groupId', String(group.id)],
      ['hours', '48'],
    ])
    assert.equal(response.status, 302)
    assert.equal(response.headers.get('location'), '/staff/links')

    const links = await IssuedLink.query().where('examId', exam.id)
    assert.sameMembers(links.map((l) => l.candidateId), candidates.map((c) => c.id))

    const page = await (await client.request(`/staff/links?exam=${exam.id}`)).text()
    assert.include(page, '3 links issued')
    const urls = [...page.matchAll(/data-url="([^"]+)"/g)].map((m) => m[1])
    assert.lengthOf(urls, 3)
    for (const url of urls) assert.isTrue(url.startsWith(`${baseUrl()}/s/`), url)
    for (const c of candidates) assert.include(page, c.fullName)

    /* One student opens theirs: the list says it was opened and the session started. */
    const student = await openStudentLink(baseUrl(), urls[0].slice(baseUrl().length))
    assert.isString(student.sessionId)
    const after = await (await client.request(`/staff/links?exam=${exam.id}`)).text()
    assert.include(after, 'data-status="not_started"')

    const entry = await AuditEntry.query().where({ action: 'link.issue', userId: user.id }).orderBy('id', 'desc').firstOrFail()
    assert.sameMembers((entry.details as { candidateIds: number[] }).candidateIds, candidates.map((c) => c.id))
  })

  test('links are built from APP_URL, not from the host the request named', async ({ assert }) => {
    const { exam, candidate } = await examWithCandidate()
    const { client, csrf } = await loggedIn('admin')
    const response = await client.request('/staff/links', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept': 'application/json', 'x-forwarded-host': 'evil.example' },
      body: new URLSearchParams([['_csrf', csrf], ['examIds[]', String(exam.id)], ['candidateIds[]', String(candidate.id)], ['hours', '2']]).toString(),
    })
    assert.equal(response.status, 201)
    const { links } = (await response.json()) as { links: { url: string }[] }
    assert.lengthOf(links, 1)
    assert.isTrue(links[0].url.startsWith(`${baseUrl()}/s/`))
    assert.notInclude(links[0].url, 'evil.example')
  })

  test('bad input comes back to the form with an error next to each field, the form kept, nothing issued', async ({ assert }) => {
    const { group } = await groupOf(1)
    const { client, csrf } = await loggedIn('admin', 'ru')
    const before = (await IssuedLink.all()).length
    const response = await post(client, '/staff/links', [
      ['_csrf', csrf],
      ['groupId', String(group.id)],
      ['hours', '99999'],
    ])
    assert.equal(response.status, 422)
    const page = await response.text()
    assert.include(page, 'data-error-code="VALIDATION_FAILED"')
    assert.include(page, 'Ссылки не выданы')
    assert.include(page, 'data-field="examIds"')
    assert.include(page, 'data-field="hours"')
    assert.include(page, 'Целое число часов, от 1 до 720.')
    assert.include(page, `<option value="${group.id}" selected>`)
    assert.include(page, 'value="99999"')

    const noOne = await post(client, '/staff/links', [['_csrf', csrf], ['examIds[]', '1'], ['hours', '2']])
    assert.equal(noOne.status, 422)
    assert.include(await noOne.text(), 'data-field="candidateIds"')
    assert.equal((await IssuedLink.all()).length, before)
  })

  test('an archived exam gets no links, even from a request made by hand: EXAM_ARCHIVED, nothing issued', async ({ assert }) => {
    const { exam, group } = await groupOf(2)
    exam.archived = true
    await exam.save()
    const { client, csrf } = await loggedIn('admin')
    const before = (await IssuedLink.all()).length
    const response = await client.request('/staff/links', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept': 'application/json' },
      body: new URLSearchParams([['_csrf', csrf], ['examIds[]', String(exam.id)], ['groupId', String(group.id)], ['hours', '24']]).toString(),
    })
    assert.equal(response.status, 409)
    const body = await response.json()
    assert.equal(body.error.code, 'EXAM_ARCHIVED')
    assert.include(body.error.message, 'archive')
    assert.equal((await IssuedLink.all()).length, before)
  })

  test('a revoked link is refused with LINK_REVOKED, and the revocation is archived', async ({ assert }) => {
    const { exam, candidate } = await examWithCandidate()
    const { client, csrf, user } = await loggedIn('admin')
    await post(client, '/staff/links', [['_csrf', csrf], ['examIds[]', String(exam.id)], ['candidateIds[]', String(candidate.id)], ['hours', '2']])
    const link = await IssuedLink.query().where({ examId: exam.id, candidateId: candidate.id }).firstOrFail()
    const page = await (await client.request(`/staff/links?exam=${exam.id}`)).text()
    const url = /data-url="([^"]+)"/.exec(page)![1]
    assert.equal((await fetch(url)).status, 200)

    const revoked = await post(client, `/staff/links/${link.id}/revoke`, [['_csrf', csrf]])
    assert.equal(revoked.status, 302)
    const refused = await fetch(url, { headers: { 'accept-language': 'kk' } })
    assert.equal(refused.status, 403)
    const text = await refused.text()
    assert.include(text, 'data-error-code="LINK_REVOKED"')
    assert.include(text, 'кері қайтарылған')
    const listed = await (await client.request(`/staff/links?exam=${exam.id}`)).text()
    assert.include(listed, 'data-status="revoked"')
    assert.notInclude(listed, url)

    const entry = await AuditEntry.query().where({ action: 'link.revoke', subjectId: String(link.id) }).firstOrFail()
    assert.equal(entry.userId, user.id)
    const again = await client.request(`/staff/links/${link.id}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept': 'application/json' },
      body: new URLSearchParams([['_csrf', csrf]]).toString(),
    })
    assert.equal(again.status, 409)
    assert.equal((await again.json()).error.code, 'LINK_ALREADY_REVOKED')
  })

  test('the issued links download as XLSX and CSV, with their addresses', async ({ assert }) => {
    const { exam, candidates } = await groupOf(2)
    const { client, csrf } = await loggedIn('admin', 'ru')
    await post(client, '/staff/links', [
      ['_csrf', csrf],
      ['examIds[]', String(exam.id)],
      ...candidates.map((c): [string, string] => ['candidateIds[]', String(c.id)]),
      ['hours', '24'],
    ])
    const xlsx = await client.request(`/staff/links.xlsx?exam=${exam.id}`)
    assert.equal(xlsx.status, 200)
    assert.include(xlsx.headers.get('content-disposition') ?? '', '.xlsx')
    const book = new ExcelJS.Workbook()
    await book.xlsx.load(Buffer.from(await xlsx.arrayBuffer()) as unknown as ArrayBuffer)
    const rows = book.worksheets[0].getSheetValues().filter(Boolean) as unknown[][]
    assert.equal(rows[0][1], 'Студент')
    assert.lengthOf(rows, 3)
    for (const row of rows.slice(1)) assert.isTrue(String(row[7]).startsWith(`${baseUrl()}/s/`))

    const csv = await client.request(`/staff/links.csv?exam=${exam.id}`)
    assert.equal(csv.status, 200)
    assert.include(csv.headers.get('content-type') ?? '', 'text/csv')
    const text = await csv.text()
    const lines = text.trim().split('\r\n')
    assert.lengthOf(lines, 3)
    assert.include(lines[0], 'Ссылка')
    for (const c of candidates) assert.include(text, c.fullName)
  })

  test('a proctor and an auditor get 403 on every links route', async ({ assert }) => {
    const { exam, candidate } = await examWithCandidate()
    const { client: admin, csrf } = await loggedIn('admin')
    await post(admin, '/staff/links', [['_csrf', csrf], ['examIds[]', String(exam.id)], ['candidateIds[]', String(candidate.id)], ['hours', '2']])
    const link = await IssuedLink.query().where({ examId: exam.id }).firstOrFail()
    for (const role of ['proctor', 'auditor'] as const) {
      const { client, csrf: token } = await loggedIn(role)
      for (const path of ['/staff/links', '/staff/links.xlsx', '/staff/links.csv']) {
        assert.equal((await client.request(path)).status, 403, `${role} GET ${path}`)
      }
      for (const path of ['/staff/links', `/staff/links/${link.id}/revoke`, `/staff/links/${link.id}/retake`]) {
        const response = await post(client, path, [['_csrf', token], ['examIds[]', String(exam.id)], ['candidateIds[]', String(candidate.id)], ['hours', '2']])
        assert.equal(response.status, 403, `${role} POST ${path}`)
      }
    }
    await link.refresh()
    assert.isNull(link.revokedAt)
    assert.lengthOf(await IssuedLink.query().where({ examId: exam.id }), 1)
  })

  test('no links form changes anything without its CSRF token', async ({ assert }) => {
    const { exam, candidate } = await examWithCandidate()
    const { client, csrf } = await loggedIn('admin')
    await post(client, '/staff/links', [['_csrf', csrf], ['examIds[]', String(exam.id)], ['candidateIds[]', String(candidate.id)], ['hours', '2']])
    const link = await IssuedLink.query().where({ examId: exam.id }).firstOrFail()
    const fields: [string, string][] = [['examIds[]', String(exam.id)], ['candidateIds[]', String(candidate.id)], ['hours', '2']]
    for (const path of ['/staff/links', `/staff/links/${link.id}/revoke`, `/staff/links/${link.id}/retake`]) {
      const response = await post(client, path, fields)
      assert.equal(response.status, 302, path)
      assert.notEqual(response.headers.get('location'), '/staff/links')
    }
    await link.refresh()
    assert.isNull(link.revokedAt)
    assert.lengthOf(await IssuedLink.query().where({ examId: exam.id }), 1)
  })

  test('`link:issue` with an unknown id exits non-zero; with known ids it prints stored, archived links from APP_URL', async ({ assert }) => {
    const { exam, candidate } = await examWithCandidate()
    const node = process.execPath
    const childEnv = { ...process.env, NODE_ENV: 'test' }
    for (const args of [
      ['--exam', '99999999', '--candidate', String(candidate.id)],
      ['--exam', String(exam.id), '--candidate', '99999999'],
      ['--exam', 'abc', '--candidate', String(candidate.id)],
    ]) {
      const failed = await run(node, ['ace.js', 'link:issue', ...args], { env: childEnv }).then(
        () => null,
        (error: { code: number; stdout: string; stderr: string }) => error
      )
      assert.isNotNull(failed, args.join(' '))
      assert.notEqual(failed!.code, 0)
      assert.notInclude(failed!.stdout, '/s/')
    }
    assert.lengthOf(await IssuedLink.query().where({ examId: exam.id }), 0)

    const { stdout } = await run(node, ['ace.js', 'link:issue', '--exam', String(exam.id), '--candidate', String(candidate.id)], { env: childEnv })
    const url = stdout.trim()
    assert.isTrue(url.startsWith(`${baseUrl()}/s/`), url)
    const link = await IssuedLink.query().where({ examId: exam.id, candidateId: candidate.id }).firstOrFail()
    const entry = await AuditEntry.query().where({ action: 'link.issue', actorName: 'console' }).orderBy('id', 'desc').firstOrFail()
    assert.include((entry.details as { linkIds: number[] }).linkIds, link.id)
    assert.equal((await fetch(url)).status, 200)
  })
})
