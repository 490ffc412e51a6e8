import { test } from '@japa/runner'
import env from '#start/env'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { WebClient, openStudentLink } from '#tests/helpers/http'

const baseUrl = () => env.get('APP_URL')

type Page = { name: string; response: Response; html: string }

/**
 * Every kind of page the appliance renders, fetched as its user would: the login page, an
 * admin's results, report and links pages (with a link just issued), the student's exam
 * page (framing an LMS quiz), the phone page and an error page.
 */
async function everyPage() {
  const { exam, candidate, link } = await examWithCandidate({
    examUrl: 'https://lms.example.edu/mod/quiz/attempt.php?attempt=7',
    requiresPhone: true,
  })
  const student = new WebClient(baseUrl())
  const examPage = await student.request(link)
  const examHtml = await examPage.text()
  const { sessionId } = await openStudentLink(baseUrl(), link)
  const phonePath = new URL(/data-phone-url="([^"]+)"/.exec(examHtml)![1]).pathname

  const { user, password } = await staffUser('admin')
  const admin = new WebClient(baseUrl())
  const loginPage = await admin.request('/login')
  const loginHtml = await loginPage.text()
  await admin.login(user.email, password)
  const csrf = /name='_csrf' value='([^']+)'/.exec(await (await admin.request('/staff/links')).text())![1]
  const issued = await admin.request('/staff/links', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ '_csrf': csrf, 'examIds[]': String(exam.id), 'candidateId': String(candidate.id), 'hours': '1' }).toString(),
  })

  const pages: Page[] = [
    { name: 'login', response: loginPage, html: loginHtml },
    { name: 'exam', response: examPage, html: examHtml },
  ]
  const more: Array<[string, Response]> = [
    ['results', await admin.request('/staff/results')],
    ['report', await admin.request(`/staff/sessions/${sessionId}`)],
    ['links', issued],
    ['phone', await student.request(phonePath)],
    ['not found', await admin.request('/staff/no-such-page')],
  ]
  for (const [name, response] of more) pages.push({ name, response, html: await response.text() })
  return pages
}

/** A policy's directives by name: "script-src 'self'; ..." -> { 'script-src': ["'self'"] }. */
function directives(policy: string | null) {
  const map = new Map<string, string[]>()
  for (const part of (policy ?? '').split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/)
    if (name) map.set(name.toLowerCase(), sources)
  }
  return map
}

test.group('Security headers', () => {
  test('every page sends a strict Content-Security-Policy with no inline script', async ({ assert }) => {
    for (const { name, response, html } of await everyPage()) {
      const policy = directives(response.headers.get('content-security-policy'))
      assert.deepEqual(policy.get('script-src'), ["'self'"], name)
      assert.deepEqual(policy.get('object-src'), ["'none'"], name)
      assert.deepEqual(policy.get('base-uri'), ["'self'"], name)
      assert.deepEqual(policy.get('form-action'), ["'self'"], name)
      assert.deepEqual(policy.get('style-src'), ["'self'"], name)
      assert.deepEqual(policy.get('default-src'), ["'self'"], name)
      const frames = name === 'exam' ? ['https://lms.example.edu'] : ["'none'"]
      assert.deepEqual(policy.get('frame-src'), frames, name)

      /* What the policy would refuse must not be in the page at all. */
      for (const [, attributes] of html.matchAll(/<script\b([^>]*)>/gi)) {
        const allowed = /\ssrc=/.test(attributes) || /\stype="application\/json"/.test(attributes)
        assert.isTrue(allowed, `${name}: inline <script${attributes}>`)
      }
      for (const [tag] of html.matchAll(/<[a-z][^>]*>/gi)) {
        assert.notMatch(tag, /\son[a-z]+\s*=/i, `${name}: event handler attribute in ${tag}`)
        assert.notMatch(tag, /\sstyle\s*=/i, `${name}: style attribute in ${tag}`)
        /* Alpine's CSP build reads only names (a component, a property, a method). */
        for (const [, value] of tag.matchAll(/\s(?:x-[\w:.-]+|@[\w.-]+)="([^"]*)"/g)) {
          assert.match(value, /^[A-Za-z_$][\w$.]*$/, `${name}: Alpine expression in ${tag}`)
        }
        assert.notMatch(tag, /\shx-on/i, `${name}: hx-on in ${tag}`)
      }
      assert.notInclude(html, '<style', name)
    }
  })

  test('no other site can frame the panel', async ({ assert }) => {
    for (const { name, response } of await everyPage()) {
      assert.deepEqual(directives(response.headers.get('content-security-policy')).get('frame-ancestors'), ["'none'"], name)
      assert.equal(response.headers.get('x-frame-options'), 'DENY', name)
    }
  })

  test('static files are sent with nosniff', async ({ assert }) => {
    /* agent.js is loaded by the LMS's own pages, as a classic script. */
    for (const [path, type] of [
      ['/agent.js', /javascript/],
      ['/css/app.css', /text\/css/],
      ['/favicon.svg', /image\/svg\+xml/],
    ] as const) {
      const response = await fetch(`${baseUrl()}${path}`)
      assert.equal(response.status, 200, path)
      assert.match(response.headers.get('content-type') ?? '', type, path)
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff', path)
      assert.equal(response.headers.get('referrer-policy'), 'same-origin', path)
      /* Static files hold no personal data: a browser may keep them (and revalidate by ETag). */
      assert.notInclude(response.headers.get('cache-control') ?? '', 'no-store', path)
      assert.isNotNull(response.headers.get('etag'), path)
    }
  })

  test('pages with personal data are never cached', async ({ assert }) => {
    for (const { name, response } of await everyPage()) {
      assert.equal(response.headers.get('cache-control'), 'no-store', name)
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff', name)
      assert.oneOf(response.headers.get('referrer-policy'), ['same-origin', 'no-referrer'], name)
    }
    /* The student API's answers too, refusals included. */
    const { link } = await examWithCandidate()
    const student = await openStudentLink(baseUrl(), link)
    const api = `${baseUrl()}/api/student/sessions/${student.sessionId}/attempts`
    const json = { 'content-type': 'application/json' }
    const started = await fetch(api, { method: 'POST', headers: { ...json, authorization: `Bearer ${student.token}` }, body: '{}' })
    const refused = await fetch(api, { method: 'POST', headers: json, body: '{}' })
    assert.isTrue(started.ok, String(started.status))
    assert.equal(refused.status, 401)
    for (const response of [started, refused]) assert.equal(response.headers.get('cache-control'), 'no-store')
  })

  test('/favicon.ico is served', async ({ assert }) => {
    const response = await fetch(`${baseUrl()}/favicon.ico`)
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-type') ?? '', /image\/(x-icon|vnd\.microsoft\.icon)/)
    const bytes = Buffer.from(await response.arrayBuffer())
    assert.deepEqual([...bytes.subarray(0, 4)], [0, 0, 1, 0], 'an ICO file header')
    /* Every page names its icons, so browsers ask for nothing that is missing. */
    const login = await (await fetch(`${baseUrl()}/login`)).text()
    for (const [, href] of login.matchAll(/<link rel="icon" href="([^"]+)"/g)) {
      assert.equal((await fetch(`${baseUrl()}${href}`)).status, 200, href)
    }
    assert.include(login, 'href="/favicon.ico"')
  })
})
