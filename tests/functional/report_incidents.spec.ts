import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import AuditEntry from '#models/audit_entry'
import ProctoringEvent from '#models/proctoring_event'
import ProctoringSession from '#models/proctoring_session'
import { DateTime } from 'luxon'
import IdentityCheck from '#models/identity_check'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { WebClient } from '#tests/helpers/http'
import { baseUrl, endedAfter, loggedIn, logRows, studentInExam, testId } from '#tests/helpers/report'

/** The CSRF token of the report's incident form. */
async function reportWithForm(client: Awaited<ReturnType<typeof loggedIn>>, publicId: string) {
  const page = await (await client.request(`/staff/sessions/${publicId}`)).text()
  const csrf = /name="_csrf" value="([^"]+)"|name='_csrf' value='([^']+)'/.exec(page)
  return { page, csrf: csrf?.[1] ?? csrf?.[2] ?? '' }
}

function postForm(client: Awaited<ReturnType<typeof loggedIn>>, path: string, fields: Record<string, string>) {
  return client.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  })
}

test.group('Report: proctor-added incidents', () => {
  test('an incident marked by a proctor shows in the log, counts in the score and is archived', async ({ assert }) => {
    const { session, origin } = await studentInExam()
    await endedAfter(session, origin, 600)
    const proctor = await loggedIn('proctor')
    const { page, csrf } = await reportWithForm(proctor, session.publicId)
    assert.include(page, 'data-testid="incident-form"')
    assert.equal(testId(page, 'score'), 'Not computed yet')

    const sent = await postForm(proctor, `/staff/sessions/${session.publicId}/incidents`, {
      _csrf: csrf, kind: 'incident', start: '120', end: '180', comment: 'A second voice prompts the answers',
    })
    assert.equal(sent.status, 302)
    assert.equal(sent.headers.get('location'), `/staff/sessions/${session.publicId}#incident-title`)

    const after = await (await proctor.request(`/staff/sessions/${session.publicId}`)).text()
    assert.include(after, 'Incident added: Proctor incident, 2:00–3:00.')
    const [row] = logRows(after)
    assert.deepInclude(row, { start: 120, end: 180, sources: 'proctor', length: '1 min' })
    assert.include(row.kind, 'A second voice prompts the answers')
    /* 60 s of 600 at weight 1: 10 points off. */
    assert.equal(testId(after, 'score'), '90 %')

    const entry = await AuditEntry.query().where({ action: 'incident.create', subjectId: session.publicId }).firstOrFail()
    assert.deepInclude(entry.details as Record<string, unknown>, { kind: 'incident', start: 120, end: 180, comment: 'A second voice prompts the answers' })
  })

  test('a range outside the session is refused next to its field, the form kept, nothing changed', async ({ assert }) => {
    const { session, origin } = await studentInExam()
    await endedAfter(session, origin, 600)
    const admin = await loggedIn('admin', 'ru')
    const { csrf } = await reportWithForm(admin, session.publicId)
    const before = await db.from('audit_entries').count('* as n').first()
    const refused = await postForm(admin, `/staff/sessions/${session.publicId}/incidents`, {
      _csrf: csrf, kind: 'no_face', start: '500', end: '900', comment: 'kept text',
    })
    assert.equal(refused.status, 422)
    const page = await refused.text()
    assert.include(page, 'data-error-code="VALIDATION_FAILED"')
    assert.include(page, 'data-field="end"')
    assert.include(page, 'от 0 до 600')
    assert.include(page, 'kept text')
    assert.match(page, /<option value="no_face" selected>/)
    assert.equal((await ProctoringEvent.query().where('sessionId', session.id)).length, 0)
    assert.deepEqual(await db.from('audit_entries').count('* as n').first(), before)

    /* HTMX and JSON clients get the stable code. */
    const json = await admin.request(`/staff/sessions/${session.publicId}/incidents`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept': 'application/json', 'x-csrf-token': csrf },
      body: new URLSearchParams({ kind: 'not_a_kind', start: '1', end: '2' }).toString(),
    })
    assert.equal(json.status, 422)
    assert.equal((await json.json()).error.code, 'VALIDATION_FAILED')
  })

  test('an auditor changes nothing: no form, a 403 on the post, and the report stays unviewed', async ({ assert }) => {
    const { session, origin } = await studentInExam()
    await endedAfter(session, origin, 600)
    const auditor = await loggedIn('auditor')
    const { page, csrf } = await reportWithForm(auditor, session.publicId)
    assert.notInclude(page, 'data-testid="incident-form"')
    const refused = await postForm(auditor, `/staff/sessions/${session.publicId}/incidents`, { _csrf: csrf, kind: 'incident', start: '1', end: '2' })
    assert.equal(refused.status, 403)
    assert.equal((await ProctoringEvent.query().where('sessionId', session.id)).length, 0)
    await session.refresh()
    assert.isNull(session.viewedAt)
    assert.equal((await ProctoringSession.findOrFail(session.id)).credibility, null)
  })

  test("a proctor limited to other exams can neither mark an incident nor open the session's photos", async ({ assert }) => {
    const { session, origin } = await studentInExam()
    await endedAfter(session, origin, 600)
    const photo = await IdentityCheck.create({ sessionId: session.id, kind: 'face', photoPath: 'photos/none.jpg', result: 'accepted', reason: null })
    const { exam: otherExam } = await examWithCandidate()
    const { user, password } = await staffUser('proctor')
    await db.table('staff_scopes').insert({ user_id: user.id, exam_id: otherExam.id, group_id: null, created_at: DateTime.now().toSQL({ includeOffset: false }) })
    const proctor = new WebClient(baseUrl())
    await proctor.login(user.email, password)
    const csrf = /name='_csrf' value='([^']+)'/.exec(await (await proctor.request('/staff/results')).text())?.[1] ?? ''
    const refused = await postForm(proctor, `/staff/sessions/${session.publicId}/incidents`, { _csrf: csrf, kind: 'incident', start: '1', end: '2' })
    assert.equal(refused.status, 404)
    assert.equal((await ProctoringEvent.query().where('sessionId', session.id)).length, 0)
    const hidden = await proctor.request(`/staff/photos/${photo.id}`, { headers: { accept: 'application/json' } })
    assert.equal(hidden.status, 404)
    assert.equal((await hidden.json()).error.code, 'PHOTO_NOT_FOUND')
  })
})
