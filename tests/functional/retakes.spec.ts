import { test } from '@japa/runner'
import env from '#start/env'
import IssuedLink from '#models/issued_link'
import ProctoringSession from '#models/proctoring_session'
import AuditEntry from '#models/audit_entry'
import { issuedLinkUrl } from '#actions/links/link_url'
import { examWithCandidate, staffUser, studentConfigFrom } from '#tests/helpers/fixtures'
import { WebClient, studentApi } from '#tests/helpers/http'

const baseUrl = () => env.get('APP_URL')

async function loggedInAdmin() {
  const { user, password } = await staffUser('admin')
  const client = new WebClient(baseUrl())
  await client.login(user.email, password)
  const page = await (await client.request('/staff/links')).text()
  return { client, user, csrf: /name='_csrf' value='([^']+)'/.exec(page)?.[1] ?? '' }
}

function post(client: WebClient, path: string, fields: [string, string][], json = false) {
  return client.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(json ? { accept: 'application/json' } : {}) },
    body: new URLSearchParams(fields).toString(),
  })
}

/** Opens a link as the student's browser does: the session it opened, and its page's config. */
async function open(url: string) {
  const response = await fetch(url)
  if (response.status !== 200) throw new Error(`the link answered ${response.status}`)
  const config = studentConfigFrom(await response.text()) as { sessionId: string; token: string; status: string }
  return { config, session: await ProctoringSession.findByOrFail('publicId', config.sessionId) }
}

test.group('Retakes (issue 8)', () => {
  test('a retake makes a new session and keeps the old one', async ({ assert }) => {
    const { exam, candidate } = await examWithCandidate()
    const { client, csrf, user } = await loggedInAdmin()
    await post(client, '/staff/links', [['_csrf', csrf], ['examIds[]', String(exam.id)], ['candidateIds[]', String(candidate.id)], ['hours', '24']])
    const link = await IssuedLink.query().where({ examId: exam.id, candidateId: candidate.id }).firstOrFail()
    const url = issuedLinkUrl(link)

    /* The first sitting: opened, started, finished. */
    const first = await open(url)
    assert.equal(first.session.sitting, 1)
    const api = studentApi(baseUrl(), first.config)
    assert.equal((await api.startAttempt()).status, 201)
    assert.equal((await api.finish(1, {})).status, 200)

    /* Without a retake, the link keeps opening that (finished) session. */
    const again = await open(url)
    assert.equal(again.session.id, first.session.id)
    assert.equal(again.config.status, 'finished')

    /* An admin grants a retake from the links list: the next opening starts sitting 2. */
    const granted = await post(client, `/staff/links/${link.id}/retake`, [['_csrf', csrf]])
    assert.equal(granted.status, 302)
    const second = await open(url)
    assert.notEqual(second.session.id, first.session.id)
    assert.equal(second.session.sitting, 2)
    assert.equal(second.session.status, 'not_started')

    /* The first sitting is kept as it was, and both are in the results, each marked. */
    const kept = await ProctoringSession.findOrFail(first.session.id)
    assert.equal(kept.status, 'finished')
    assert.equal(kept.sitting, 1)
    const results = await (await client.request(`/staff/results?q=${encodeURIComponent(candidate.fullName)}`)).text()
    assert.include(results, `data-session="${first.session.publicId}"`)
    assert.include(results, `data-session="${second.session.publicId}"`)
    assert.include(results, 'data-sitting="1"')
    assert.include(results, 'data-sitting="2"')

    const entry = await AuditEntry.query().where({ action: 'session.retake', subjectId: second.session.publicId }).firstOrFail()
    assert.equal(entry.userId, user.id)
    assert.equal((entry.details as { previous: string }).previous, first.session.publicId)

    /* A second retake while the new sitting is still open is refused. */
    const twice = await post(client, `/staff/links/${link.id}/retake`, [['_csrf', csrf]], true)
    assert.equal(twice.status, 409)
    assert.equal((await twice.json()).error.code, 'RETAKE_SESSION_OPEN')
    assert.lengthOf(await ProctoringSession.query().where({ examId: exam.id, candidateId: candidate.id }), 2)
  })

  test('an admin grants a retake from the results list, for a session that came without an issued link', async ({ assert }) => {
    const { exam, candidate, link } = await examWithCandidate()
    const first = await open(`${baseUrl()}${link}`)
    const api = studentApi(baseUrl(), first.config)
    await api.startAttempt()
    assert.equal((await api.finish(1, {})).status, 200)

    const { client, csrf } = await loggedInAdmin()
    const results = await (await client.request(`/staff/results?q=${encodeURIComponent(candidate.fullName)}`)).text()
    assert.include(results, `action="/staff/sessions/${first.session.publicId}/retake"`)

    const proctor = await staffUser('proctor')
    const proctorClient = new WebClient(baseUrl())
    await proctorClient.login(proctor.user.email, proctor.password)
    const proctorPage = await (await proctorClient.request(`/staff/results?q=${encodeURIComponent(candidate.fullName)}`)).text()
    assert.notInclude(proctorPage, '/retake"')
    const refused = await post(proctorClient, `/staff/sessions/${first.session.publicId}/retake`, [['_csrf', /name='_csrf' value='([^']+)'/.exec(proctorPage)?.[1] ?? '']])
    assert.equal(refused.status, 403)

    const granted = await post(client, `/staff/sessions/${first.session.publicId}/retake`, [['_csrf', csrf]])
    assert.equal(granted.status, 302)
    assert.equal(granted.headers.get('location'), '/staff/results')
    const second = await open(`${baseUrl()}${link}`)
    assert.equal(second.session.sitting, 2)
    assert.notEqual(second.session.id, first.session.id)
    const after = await (await client.request(`/staff/results?q=${encodeURIComponent(candidate.fullName)}`)).text()
    assert.notInclude(after, `action="/staff/sessions/${first.session.publicId}/retake"`)
    assert.lengthOf(await ProctoringSession.query().where({ examId: exam.id, candidateId: candidate.id }), 2)
  })

  test('a retake for a candidate who has not sat the exam is refused with RETAKE_NOT_SAT', async ({ assert }) => {
    const { exam, candidate } = await examWithCandidate()
    const { client, csrf } = await loggedInAdmin()
    await post(client, '/staff/links', [['_csrf', csrf], ['examIds[]', String(exam.id)], ['candidateIds[]', String(candidate.id)], ['hours', '24']])
    const link = await IssuedLink.query().where({ examId: exam.id, candidateId: candidate.id }).firstOrFail()
    const response = await post(client, `/staff/links/${link.id}/retake`, [['_csrf', csrf]], true)
    assert.equal(response.status, 409)
    assert.equal((await response.json()).error.code, 'RETAKE_NOT_SAT')
    assert.lengthOf(await ProctoringSession.query().where({ examId: exam.id, candidateId: candidate.id }), 0)
  })
})
