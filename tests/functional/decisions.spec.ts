import { test } from '@japa/runner'
import env from '#start/env'
import ProctoringSession from '#models/proctoring_session'
import AuditEntry from '#models/audit_entry'
import SessionDecision from '#models/session_decision'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { WebClient, openStudentLink } from '#tests/helpers/http'
import type { StaffRole } from '#models/user'

const baseUrl = () => env.get('APP_URL')

async function sessionOfNewStudent() {
  const { sessionId } = await openStudentLink(baseUrl(), (await examWithCandidate()).link)
  return ProctoringSession.findByOrFail('publicId', sessionId)
}

/** A logged-in staff member, and the CSRF token of the pages they see. */
async function loggedIn(role: StaffRole, language = 'en') {
  const { user, password } = await staffUser(role)
  const client = new WebClient(baseUrl(), language)
  await client.login(user.email, password)
  const page = await (await client.request('/staff/results')).text()
  return { client, user, csrf: /name='_csrf' value='([^']+)'/.exec(page)?.[1] ?? '' }
}

function post(client: WebClient, path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return client.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  })
}

test.group('Decisions (issue 9)', () => {
  test('a decision set and changed: the session, its history on the report and the archive keep every change', async ({ assert }) => {
    const session = await sessionOfNewStudent()
    const { client, csrf, user } = await loggedIn('proctor')
    const path = `/staff/sessions/${session.publicId}/decision`

    /* Set from the report (a plain form): back to the report. */
    const first = await post(client, path, { _csrf: csrf, decision: 'review', comment: 'Second person at 12:04' })
    assert.equal(first.status, 302)
    assert.equal(first.headers.get('location'), `/staff/sessions/${session.publicId}`)
    await session.refresh()
    assert.equal(session.decision, 'review')
    assert.equal(session.decidedBy, user.id)
    assert.isNotNull(session.decidedAt)

    /* Changed with HTMX from a results row: the updated cell comes back. */
    const second = await post(client, path, { _csrf: csrf, decision: 'rejected', comment: 'Confirmed', view: 'cell', back: '/staff/results?sort=start' }, { 'hx-request': 'true' })
    assert.equal(second.status, 200)
    const cell = await second.text()
    assert.include(cell, 'data-decision="rejected"')
    assert.include(cell, 'Annulled')
    await session.refresh()
    assert.equal(session.decision, 'rejected')

    /* The history, newest first, with who, from -> to and the comment, on the report's panel. */
    const history = await SessionDecision.query().where('sessionId', session.id).orderBy('id', 'asc')
    assert.deepEqual(history.map((row) => [row.previous, row.decision, row.comment]), [['none', 'review', 'Second person at 12:04'], ['review', 'rejected', 'Confirmed']])
    const panel = await (await client.request(path)).text()
    assert.include(panel, 'data-testid="decision-history"')
    assert.include(panel, 'Second review needed')
    assert.include(panel, 'Confirmed')
    assert.include(panel, user.fullName)
    assert.isBelow(panel.indexOf('Confirmed'), panel.indexOf('Second person at 12:04'))

    /* Every change archived with from, to and the comment. */
    const entries = await AuditEntry.query().where({ action: 'session.decision', subjectId: session.publicId }).orderBy('id', 'asc')
    assert.deepEqual(entries.map((entry) => entry.details), [
      { from: 'none', to: 'review', comment: 'Second person at 12:04' },
      { from: 'review', to: 'rejected', comment: 'Confirmed' },
    ])
    assert.isTrue(entries.every((entry) => entry.userId === user.id))
  })

  test('a plain form goes back only to a staff page of this site', async ({ assert }) => {
    const session = await sessionOfNewStudent()
    const { client, csrf } = await loggedIn('admin')
    const path = `/staff/sessions/${session.publicId}/decision`
    const back = await post(client, path, { _csrf: csrf, decision: 'accepted', back: '/staff/results?status=finished&sort=start&exam=A%2FB' })
    assert.equal(back.headers.get('location'), '/staff/results?status=finished&sort=start&exam=A%2FB')
    for (const elsewhere of ['https://evil.example/staff/', '//evil.example/staff/', '/staff/../login', '/staff/%2e%2e/login', '/staff/%2f%2fevil.example', '/\\evil.example']) {
      const response = await post(client, path, { _csrf: csrf, decision: 'accepted', back: elsewhere })
      assert.equal(response.headers.get('location'), `/staff/sessions/${session.publicId}`, elsewhere)
    }
  })

  test('an auditor changing nothing: the decision post is refused (403) and the panel has no form', async ({ assert }) => {
    const session = await sessionOfNewStudent()
    const { client, csrf } = await loggedIn('auditor')
    const path = `/staff/sessions/${session.publicId}/decision`
    const response = await post(client, path, { _csrf: csrf, decision: 'accepted' }, { accept: 'application/json' })
    assert.equal(response.status, 403)
    assert.equal((await response.json()).error.code, 'ROLE_FORBIDDEN')
    await session.refresh()
    assert.equal(session.decision, 'none')
    assert.equal((await SessionDecision.query().where('sessionId', session.id)).length, 0)
    assert.equal((await AuditEntry.query().where({ action: 'session.decision', subjectId: session.publicId })).length, 0)

    const panel = await (await client.request(path)).text()
    assert.include(panel, 'data-testid="decision-panel"')
    assert.notInclude(panel, '<form')
    assert.include(panel, 'No decision has been set yet.')
  })

  test('a bad decision comes back with its form and a translated error, and nothing changes', async ({ assert }) => {
    const session = await sessionOfNewStudent()
    const { client, csrf } = await loggedIn('proctor', 'ru')
    const path = `/staff/sessions/${session.publicId}/decision`
    const response = await post(client, path, { _csrf: csrf, decision: 'approved', comment: 'keep me', view: 'panel' }, { 'hx-request': 'true' })
    assert.equal(response.status, 422)
    const html = await response.text()
    assert.include(html, 'data-error-code="VALIDATION_FAILED"')
    assert.include(html, 'Выберите решение из списка.')
    assert.include(html, 'data-error-for="decision"')
    assert.notInclude(html, 'data-error-for="comment"')
    assert.include(html, '>keep me</textarea>')
    await session.refresh()
    assert.equal(session.decision, 'none')
    assert.equal((await SessionDecision.query().where('sessionId', session.id)).length, 0)
  })

  test('a proctor limited to other exams can neither read nor set the decision of a session outside them', async ({ assert }) => {
    const session = await sessionOfNewStudent()
    const { exam: other } = await examWithCandidate()
    const { client, csrf, user } = await loggedIn('proctor')
    const db = (await import('@adonisjs/lucid/services/db')).default
    await db.table('staff_scopes').insert({ user_id: user.id, exam_id: other.id, group_id: null, created_at: new Date().toISOString().slice(0, 19).replace('T', ' ') })
    const path = `/staff/sessions/${session.publicId}/decision`
    const read = await client.request(path, { headers: { accept: 'application/json' } })
    assert.equal(read.status, 404)
    assert.equal((await read.json()).error.code, 'SESSION_NOT_FOUND')
    const write = await post(client, path, { _csrf: csrf, decision: 'accepted' }, { accept: 'application/json' })
    assert.equal(write.status, 404)
    assert.equal((await write.json()).error.code, 'SESSION_NOT_FOUND')
    await session.refresh()
    assert.equal(session.decision, 'none')
    assert.equal((await AuditEntry.query().where({ action: 'session.decision', subjectId: session.publicId })).length, 0)
  })

  test('the report loads the decision panel', async ({ assert }) => {
    const session = await sessionOfNewStudent()
    const { client } = await loggedIn('proctor')
    const report = await (await client.request(`/staff/sessions/${session.publicId}`)).text()
    assert.include(report, `hx-get="/staff/sessions/${session.publicId}/decision"`)
  })
})
