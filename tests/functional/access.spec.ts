import { test } from '@japa/runner'
import env from '#start/env'
import { issueStudentLink } from '#actions/sessions/student_link'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { WebClient, openStudentLink, studentApi } from '#tests/helpers/http'

const baseUrl = () => env.get('APP_URL')
const STAFF_PAGES = ['/staff/results', '/staff/links']

test.group('Who can reach what', () => {
  test('staff pages send a visitor who is not logged in to the login page', async ({ assert }) => {
    const visitor = new WebClient(baseUrl())
    for (const page of STAFF_PAGES) {
      const response = await visitor.request(page)
      assert.equal(response.status, 302, page)
      assert.equal(response.headers.get('location'), '/login', page)
    }
  })

  test("a student's link and token open no staff page", async ({ assert }) => {
    const { link } = await examWithCandidate()
    const student = new WebClient(baseUrl())
    assert.equal((await student.request(link)).status, 200)
    const { token, sessionId } = await openStudentLink(baseUrl(), link)
    for (const page of [...STAFF_PAGES, `/staff/sessions/${sessionId}`]) {
      const response = await student.request(page, { headers: { authorization: `Bearer ${token}` } })
      assert.equal(response.status, 302, page)
      assert.equal(response.headers.get('location'), '/login', page)
    }
  })

  test("a student's token cannot start, upload to or finish another student's session", async ({ assert }) => {
    const first = await openStudentLink(baseUrl(), (await examWithCandidate()).link)
    const second = await openStudentLink(baseUrl(), (await examWithCandidate()).link)
    const intruder = studentApi(baseUrl(), { sessionId: second.sessionId, token: first.token })
    for (const response of [await intruder.startAttempt(), await intruder.finish(1, {})]) {
      assert.equal(response.status, 403)
      assert.equal((await response.json()).error.code, 'SESSION_TOKEN_INVALID')
    }
    const anonymous = await fetch(`${baseUrl()}/api/student/sessions/${second.sessionId}/attempts`, { method: 'POST' })
    assert.equal(anonymous.status, 401)
    assert.equal((await anonymous.json()).error.code, 'SESSION_TOKEN_REQUIRED')
  })

  test('a tampered link is refused with LINK_INVALID, an expired one with LINK_EXPIRED', async ({ assert }) => {
    const { exam, candidate, link } = await examWithCandidate()
    const [payload, signature] = link.slice(3).split('.')
    const forged = Buffer.from(JSON.stringify({ e: exam.id, c: candidate.id + 1, x: 4102444800 })).toString('base64url')
    const tampered = await fetch(`${baseUrl()}/s/${forged}.${signature}`, { headers: { 'accept-language': 'ru' } })
    assert.equal(tampered.status, 403)
    const page = await tampered.text()
    assert.include(page, 'data-error-code="LINK_INVALID"')
    assert.include(page, 'Ссылка на экзамен недействительна')
    assert.notEqual(forged, payload)

    const expired = issueStudentLink(exam.id, candidate.id, -1).path
    const response = await fetch(`${baseUrl()}${expired}`, { headers: { 'accept-language': 'kk' } })
    assert.equal(response.status, 403)
    const text = await response.text()
    assert.include(text, 'data-error-code="LINK_EXPIRED"')
    assert.include(text, 'мерзімі өтті')
  })

  test('the same link always leads back to the same session', async ({ assert }) => {
    const { link } = await examWithCandidate()
    const first = await openStudentLink(baseUrl(), link)
    const again = await openStudentLink(baseUrl(), link)
    assert.equal(again.sessionId, first.sessionId)
  })

  test('a wrong password is refused with a translated message; a proctor cannot issue links', async ({ assert }) => {
    const { user, password } = await staffUser('proctor')
    const client = new WebClient(baseUrl(), 'ru')
    const failed = await client.login(user.email, 'wrong password')
    assert.equal(failed.headers.get('location'), '/login')
    assert.include(await (await client.request('/login')).text(), 'Неверная электронная почта или пароль')

    const ok = await client.login(user.email, password)
    assert.equal(ok.headers.get('location'), '/staff/results')
    assert.equal((await client.request('/staff/results')).status, 200)
    const links = await client.request('/staff/links')
    assert.equal(links.status, 403)
    assert.include(await links.text(), 'ROLE_FORBIDDEN')
  })

  test('a form posted without its CSRF token changes nothing', async ({ assert }) => {
    const { user } = await staffUser('admin')
    const client = new WebClient(baseUrl())
    const response = await client.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'hx-request': 'true' },
      body: new URLSearchParams({ email: user.email, password: 'correct horse battery' }).toString(),
    })
    assert.equal(response.status, 403)
    assert.equal((await client.request('/staff/results')).status, 302)
  })
})
