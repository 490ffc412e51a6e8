import { test } from '@japa/runner'
import env from '#start/env'
import Group from '#models/group'
import Candidate from '#models/candidate'
import Recording from '#models/recording'
import ProctoringSession from '#models/proctoring_session'
import { issueStudentLink } from '#actions/sessions/student_link'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { WebClient, openStudentLink, studentApi } from '#tests/helpers/http'
import { webmChunk } from '#tests/helpers/actors'

const baseUrl = () => env.get('APP_URL')

async function loggedIn(role: 'admin' | 'proctor') {
  const { user, password } = await staffUser(role)
  const client = new WebClient(baseUrl())
  await client.login(user.email, password)
  const page = await (await client.request('/staff/results')).text()
  return { client, user, password, csrf: /name='_csrf' value='([^']+)'/.exec(page)?.[1] ?? '' }
}

/** A candidate of a new group who opened the exam and recorded one chunk: their session and recording. */
async function sittingIn(examId: number, groupName: string) {
  const group = await Group.create({ name: groupName })
  const candidate = await Candidate.create({ fullName: `Студент ${groupName}`, groupId: group.id, externalId: `scope-${groupName}` })
  const student = await openStudentLink(baseUrl(), issueStudentLink(examId, candidate.id).path)
  const api = studentApi(baseUrl(), student)
  await api.startAttempt()
  const upload = await api.uploadChunk('webcam', 0, webmChunk())
  if (upload.status !== 201) throw new Error(`the chunk answered ${upload.status}`)
  const session = await ProctoringSession.findByOrFail('publicId', student.sessionId)
  const recording = await Recording.query().where({ sessionId: session.id }).firstOrFail()
  return { group, candidate, session, recording }
}

test.group('A proctor limited to some exams or groups (issue 8)', () => {
  test("a proctor limited to one group sees only that group's sessions and cannot open another group's report or recording", async ({ assert }) => {
    const { exam } = await examWithCandidate()
    const suffix = Date.now() % 100000
    const mine = await sittingIn(exam.id, `ОНЛ-${suffix}-A`)
    const other = await sittingIn(exam.id, `ОНЛ-${suffix}-B`)

    /* The admin limits the proctor to group A, through the staff page. */
    const admin = await loggedIn('admin')
    const proctor = await loggedIn('proctor')
    const saved = await admin.client.request(`/staff/users/${proctor.user.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams([['_csrf', admin.csrf], ['role', 'proctor'], ['groupIds[]', String(mine.group.id)]]).toString(),
    })
    assert.equal(saved.status, 302)

    const results = await (await proctor.client.request(`/staff/results?exam=${encodeURIComponent(exam.title)}`)).text()
    assert.include(results, `data-session="${mine.session.publicId}"`)
    assert.notInclude(results, `data-session="${other.session.publicId}"`)
    const searched = await (await proctor.client.request(`/staff/results?q=${encodeURIComponent(other.candidate.fullName)}`)).text()
    assert.notInclude(searched, `data-session="${other.session.publicId}"`)

    assert.equal((await proctor.client.request(`/staff/sessions/${mine.session.publicId}`)).status, 200)
    assert.equal((await proctor.client.request(`/staff/recordings/${mine.recording.id}/media`)).status, 200)
    for (const path of [`/staff/sessions/${other.session.publicId}`, `/staff/sessions/${other.session.publicId}/progress`, `/staff/recordings/${other.recording.id}/media`]) {
      const response = await proctor.client.request(path)
      assert.equal(response.status, 404, path)
      await response.body?.cancel()
    }

    /* An admin and a proctor without limits still see both. */
    const everyone = await (await admin.client.request(`/staff/results?exam=${encodeURIComponent(exam.title)}`)).text()
    assert.include(everyone, `data-session="${other.session.publicId}"`)
    const free = await loggedIn('proctor')
    const freeResults = await (await free.client.request(`/staff/results?exam=${encodeURIComponent(exam.title)}`)).text()
    assert.include(freeResults, `data-session="${mine.session.publicId}"`)
    assert.include(freeResults, `data-session="${other.session.publicId}"`)
    assert.equal((await free.client.request(`/staff/sessions/${other.session.publicId}`)).status, 200)
  })

  test('a proctor limited to one exam does not see the sessions of another exam', async ({ assert }) => {
    const first = await examWithCandidate()
    const second = await examWithCandidate()
    const one = await openStudentLink(baseUrl(), first.link)
    const two = await openStudentLink(baseUrl(), second.link)
    const admin = await loggedIn('admin')
    const proctor = await loggedIn('proctor')
    await admin.client.request(`/staff/users/${proctor.user.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams([['_csrf', admin.csrf], ['role', 'proctor'], ['examIds[]', String(first.exam.id)]]).toString(),
    })
    const results = await (await proctor.client.request('/staff/results')).text()
    assert.include(results, `data-session="${one.sessionId}"`)
    assert.notInclude(results, `data-session="${two.sessionId}"`)
    assert.equal((await proctor.client.request(`/staff/sessions/${two.sessionId}`)).status, 404)
  })
})
