import { createServer } from 'node:http'
import { test } from '@japa/runner'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import env from '#start/env'
import AuditEntry from '#models/audit_entry'
import Candidate from '#models/candidate'
import Exam from '#models/exam'
import Group from '#models/group'
import System from '#models/system'
import LtiResourceLink from '#models/lti_resource_link'
import ProctoringSession from '#models/proctoring_session'
import db from '@adonisjs/lucid/services/db'
import { deliverDueGrades, scoresUrl } from '#actions/lti/ags_grades'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { WebClient, openStudentLink } from '#tests/helpers/http'
import { freePort } from '#tests/helpers/app_server'
import { LTI, LTI_ROLES, LtiPlatform } from '#tests/helpers/lti_platform'
import { launchThrough } from '#tests/helpers/lti_launch'

const baseUrl = () => String(env.get('APP_URL')).replace(/\/+$/, '')

async function admin(language = 'en') {
  const { user, password } = await staffUser('admin')
  const client = new WebClient(baseUrl(), language)
  await client.login(user.email, password)
  const page = await (await client.request('/staff/results')).text()
  return { client, user, csrf: /name='_csrf' value='([^']+)'/.exec(page)?.[1] ?? '' }
}

function post(client: WebClient, path: string, fields: Record<string, string>) {
  return client.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  })
}

/** The platform registered by hand, as an admin would on the LTI page. */
async function registered(platform: LtiPlatform) {
  return System.create({
    name: `Moodle ${platform.port}`,
    kind: 'lti',
    issuer: platform.issuer,
    clientId: platform.clientId,
    deploymentId: platform.deploymentId,
    deploymentIds: [platform.deploymentId],
    authLoginUrl: platform.authUrl,
    tokenUrl: platform.tokenUrl,
    jwksUrl: platform.jwksUrl,
    registrationSource: 'manual',
    active: true,
  })
}

/** A course activity as a launch from the platform leaves it. */
async function courseLink(platform: LtiPlatform, system: System, extra: Partial<LtiResourceLink> = {}) {
  const contextId = `course-${platform.port}`
  return LtiResourceLink.create({
    systemId: system.id,
    deploymentId: platform.deploymentId,
    contextId,
    contextTitle: `Анатомия ${platform.port}`,
    contextLabel: `ANAT-${platform.port}`,
    resourceLinkId: `rl-${platform.port}`,
    resourceLinkTitle: 'Экзамен: Анатомия',
    nrpsUrl: platform.membershipsUrl(contextId),
    agsLineitemUrl: platform.lineitemUrl(contextId),
    agsLineitemsUrl: platform.lineitemsUrl(contextId),
    agsScopes: null,
    ...extra,
  })
}

/** The tool's published key set, fetched as a platform would. */
async function toolKeys() {
  return createLocalJWKSet(await (await fetch(`${baseUrl()}/lti/jwks`)).json())
}

test.group('LTI services: dynamic registration', (group) => {
  let platform: LtiPlatform
  group.each.setup(async () => {
    platform = await LtiPlatform.start({ toolUrl: baseUrl() })
    return () => platform.stop()
  })

  test('a dynamic registration against the test registration endpoint completes', async ({ assert }) => {
    const { client, user } = await admin()
    const pasted = platform.dynamicRegistrationUrl(`${baseUrl()}/lti/register`).slice(baseUrl().length)
    const path = (await client.request(pasted)).headers.get('location')!
    assert.equal(path, pasted.replace('/lti/register', '/staff/lti/register'))
    const shown = await client.request(path)
    assert.equal(shown.status, 200)
    /* The page with the Register button is never framed (nobody can cover it). */
    assert.include(shown.headers.get('content-security-policy') ?? '', "frame-ancestors 'none'")
    assert.equal(shown.headers.get('x-frame-options'), 'DENY')
    const page = await shown.text()
    assert.include(page, `Moodle 5.0 (localhost:${platform.port})`)
    assert.include(page, `${baseUrl()}/lti/launch`)
    const csrf = /name='_csrf' value='([^']+)'/.exec(page)?.[1] ?? ''
    const fields = Object.fromEntries([...page.matchAll(/<input type="hidden" name="(openid_configuration|registration_token)" value="([^"]*)">/g)].map((m) => [m[1], m[2].replace(/&amp;/g, '&')]))
    assert.equal(fields.registration_token, platform.registrationToken)

    const done = await post(client, '/staff/lti/register', { _csrf: csrf, ...fields })
    assert.equal(done.status, 200)
    const donePage = await done.text()
    assert.include(donePage, 'data-lti-close')
    assert.include(donePage, '/build/lti_services.js')
    assert.include(donePage, platform.clientId)

    /* What the platform received: the tool's registration, with the token as bearer. */
    assert.lengthOf(platform.registrations, 1)
    const { body, authorization } = platform.registrations[0]
    assert.equal(authorization, `Bearer ${platform.registrationToken}`)
    assert.deepEqual(body.redirect_uris, [`${baseUrl()}/lti/launch`])
    assert.equal(body.initiate_login_uri, `${baseUrl()}/lti/login`)
    assert.equal(body.jwks_uri, `${baseUrl()}/lti/jwks`)
    assert.equal(body.token_endpoint_auth_method, 'private_key_jwt')
    assert.include(body.scope, 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly')
    assert.include(body.scope, 'https://purl.imsglobal.org/spec/lti-ags/scope/score')
    const toolConfig = body['https://purl.imsglobal.org/spec/lti-tool-configuration']
    assert.equal(toolConfig.domain, new URL(baseUrl()).host)
    assert.deepEqual(
      toolConfig.messages.map((m: any) => m.type),
      ['LtiResourceLinkRequest', 'LtiDeepLinkingRequest']
    )

    /* Kept as an LTI system with the platform's URLs, and archived. */
    const system = await System.query().where({ issuer: platform.issuer, clientId: platform.clientId }).firstOrFail()
    assert.equal(system.kind, 'lti')
    assert.equal(system.registrationSource, 'dynamic')
    assert.deepEqual(system.deploymentIds, ['1'])
    assert.equal(system.authLoginUrl, platform.authUrl)
    assert.equal(system.tokenUrl, platform.tokenUrl)
    assert.equal(system.jwksUrl, platform.jwksUrl)
    const entry = await AuditEntry.query().where({ action: 'lti.registered', subjectId: String(system.id) }).firstOrFail()
    assert.equal(entry.userId, user.id)
  })

  test('the registration URL shown inside the LMS frame offers the admins page in a new window', async ({ assert }) => {
    const pasted = platform.dynamicRegistrationUrl(`${baseUrl()}/lti/register`)
    const response = await fetch(pasted, { redirect: 'manual', headers: { 'sec-fetch-dest': 'iframe', 'accept-language': 'ru' } })
    assert.equal(response.status, 200)
    assert.include(response.headers.get('content-security-policy') ?? '', `frame-ancestors ${platform.issuer}`)
    assert.isNull(response.headers.get('x-frame-options'))
    const page = await response.text()
    assert.include(page, 'Открыть регистрацию в новом окне')
    assert.include(page, `href="${pasted.slice(baseUrl().length).replace('/lti/register', '/staff/lti/register').replace(/&/g, '&amp;')}"`)
    assert.include(page, 'data-lti-relay')
  })

  test('a visitor who is not signed in is sent to log in first, then back to the registration', async ({ assert }) => {
    const { user, password } = await staffUser('admin')
    const client = new WebClient(baseUrl())
    const path = platform.dynamicRegistrationUrl(`${baseUrl()}/staff/lti/register`).slice(baseUrl().length)
    const first = await client.request(path)
    assert.equal(first.status, 302)
    assert.equal(first.headers.get('location'), '/login')
    const login = await client.login(user.email, password)
    assert.equal(login.headers.get('location'), path)
    assert.equal((await client.request(path)).status, 200)
  })

  test('a configuration whose issuer is another site is refused, and nothing is registered', async ({ assert }) => {
    const port = await freePort()
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ ...platform.openidConfiguration(), issuer: 'https://moodle.elsewhere.example' }))
    })
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    try {
      const { client } = await admin('ru')
      const url = `http://127.0.0.1:${port}/.well-known/openid-configuration`
      const response = await client.request(`/staff/lti/register?openid_configuration=${encodeURIComponent(url)}&registration_token=x`)
      assert.equal(response.status, 400)
      const page = await response.text()
      assert.include(page, 'data-error-code="LTI_REGISTRATION_ISSUER_MISMATCH"')
      assert.include(page, 'Конфигурация LMS называет издателем другой сайт')
      assert.lengthOf(platform.registrations, 0)
      assert.isNull(await System.query().where('issuer', 'https://moodle.elsewhere.example').first())
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})

test.group('LTI services: course roster (NRPS)', (group) => {
  let platform: LtiPlatform
  group.each.setup(async () => {
    platform = await LtiPlatform.start({ toolUrl: baseUrl() })
    return () => platform.stop()
  })

  test('the test platform NRPS endpoint serves a roster of 30 that is imported, and again changes nothing', async ({ assert }) => {
    const system = await registered(platform)
    const link = await courseLink(platform, system)
    const { client, csrf } = await admin()

    const list = await (await client.request('/staff/lti/courses')).text()
    assert.include(list, `Анатомия ${platform.port}`)
    assert.include(list, `/staff/lti/courses/${link.id}/roster`)

    const first = await post(client, `/staff/lti/courses/${link.id}/roster`, { _csrf: csrf })
    assert.equal(first.status, 302)
    assert.equal(first.headers.get('location'), `/staff/lti/courses#link-${link.id}`)
    const shown = await (await client.request('/staff/lti/courses')).text()
    assert.include(shown, 'Roster imported: 30 added, 0 updated, 0 unchanged, 1 skipped')

    const candidates = await Candidate.query().where('systemId', system.id).orderBy('id')
    assert.lengthOf(candidates, 30)
    const group = await Group.findByOrFail('name', `Анатомия ${platform.port}`)
    assert.isTrue(candidates.every((c) => c.groupId === group.id))
    const alibek = candidates.find((c) => c.externalId === 'lms-student-10')!
    assert.equal(alibek.fullName, 'Әлібек Қанатұлы 10')
    assert.equal(alibek.email, 'student10@uni.example')
    /* Four pages of ten (30 learners and the teacher), followed through rel="next". */
    assert.equal(platform.rosterRequests, 4)

    /* The bearer token came from a client assertion the platform verified with the tool's keys. */
    const grant = platform.tokenRequests.find((r) => r.ok)!
    assert.equal(grant.assertion!.iss, platform.clientId)
    assert.equal(grant.assertion!.sub, platform.clientId)
    assert.equal(grant.assertion!.aud, platform.tokenUrl)

    /* Again: the same 30, nobody added twice; a changed name is updated. */
    platform.roster[0].name = 'Айгерім Серікқызы (жаңа)'
    await post(client, `/staff/lti/courses/${link.id}/roster`, { _csrf: csrf })
    const again = await (await client.request('/staff/lti/courses')).text()
    assert.include(again, 'Roster imported: 0 added, 1 updated, 29 unchanged, 1 skipped')
    assert.equal((await Candidate.query().where('systemId', system.id)).length, 30)
    const renamed = await Candidate.query().where({ systemId: system.id, externalId: platform.roster[0].user_id }).firstOrFail()
    assert.equal(renamed.fullName, 'Айгерім Серікқызы (жаңа)')
    const entries = await AuditEntry.query().where({ action: 'lti.roster_imported', subjectId: String(link.id) })
    assert.lengthOf(entries, 2)
    /* The action archive names it in words. */
    assert.include(await (await client.request('/staff/archive')).text(), 'Imported a course roster')
  })

  test('an admin binds an exam to an activity on the courses page; a field error or an archived exam changes nothing', async ({ assert }) => {
    const system = await registered(platform)
    const link = await courseLink(platform, system)
    const { exam } = await examWithCandidate({ title: `Привязка ${platform.port}` })
    const { client, csrf } = await admin()
    const bad = await client.request(`/staff/lti/courses/${link.id}/exam`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept': 'application/json' },
      body: new URLSearchParams({ _csrf: csrf, examId: 'abc' }).toString(),
    })
    assert.equal(bad.status, 422)
    const archived = (await examWithCandidate({ archived: true } as Partial<Exam>)).exam
    const refused = await client.request(`/staff/lti/courses/${link.id}/exam`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept': 'application/json' },
      body: new URLSearchParams({ _csrf: csrf, examId: String(archived.id) }).toString(),
    })
    assert.equal(refused.status, 404)
    assert.isNull((await LtiResourceLink.findOrFail(link.id)).examId)

    const bound = await post(client, `/staff/lti/courses/${link.id}/exam`, { _csrf: csrf, examId: String(exam.id) })
    assert.equal(bound.status, 302)
    assert.equal((await LtiResourceLink.findOrFail(link.id)).examId, exam.id)
    const page = await (await client.request('/staff/lti/courses')).text()
    assert.include(page, 'The exam is bound to the activity')
    const entry = await AuditEntry.query().where({ action: 'lti.link_exam', subjectId: String(link.id) }).firstOrFail()
    assert.deepEqual((entry.details as any).changes, { examId: [null, exam.id] })
  })

  test('a platform that refuses the roster is shown as an error, and no candidate is made', async ({ assert }) => {
    const system = await registered(platform)
    const link = await courseLink(platform, system, { nrpsUrl: `${platform.issuer}/nrps-missing/members` })
    const { client, csrf } = await admin()
    const response = await post(client, `/staff/lti/courses/${link.id}/roster`, { _csrf: csrf })
    assert.equal(response.status, 302)
    const page = await (await client.request('/staff/lti/courses')).text()
    assert.include(page, 'data-error-code="LTI_ROSTER_FAILED"')
    assert.equal((await Candidate.query().where('systemId', system.id)).length, 0)
  })
})

test.group('LTI services: grades back (AGS)', (group) => {
  let platform: LtiPlatform
  group.each.setup(async () => {
    platform = await LtiPlatform.start({ toolUrl: baseUrl() })
    return () => platform.stop()
  })

  /** A candidate from the platform in a session of an exam bound to a course activity. */
  async function lmsSession(options: { gradesBack: boolean }) {
    const system = await registered(platform)
    const { exam, candidate, link } = await examWithCandidate()
    candidate.merge({ systemId: system.id, externalId: `lms-user-${platform.port}` })
    await candidate.save()
    const resourceLink = await courseLink(platform, system, { examId: exam.id })
    const { sessionId } = await openStudentLink(baseUrl(), link)
    const session = await ProctoringSession.findByOrFail('publicId', sessionId)
    session.credibility = 87
    await session.save()
    const { client, csrf } = await admin()
    if (options.gradesBack) {
      const toggled = await post(client, `/staff/lti/courses/${resourceLink.id}/grades`, { _csrf: csrf, gradesBack: '1' })
      assert_(toggled.status === 302, 'the grades switch answered')
    }
    return { system, exam, candidate, session, resourceLink, client, csrf }
  }
  const assert_ = (ok: boolean, message: string) => {
    if (!ok) throw new Error(message)
  }

  test('an AGS score post is received and its bearer token was obtained with a signed client assertion that the test verifies', async ({ assert }) => {
    const { exam, session, client, csrf } = await lmsSession({ gradesBack: true })
    assert.isTrue((await Exam.findOrFail(exam.id)).ltiGradesBack)
    /* Changed before the first post went out: one post, with the decision as it is then. */
    await post(client, `/staff/sessions/${session.publicId}/decision`, { _csrf: csrf, decision: 'review', comment: '' })
    const decided = await post(client, `/staff/sessions/${session.publicId}/decision`, { _csrf: csrf, decision: 'accepted', comment: 'OK' })
    assert.equal(decided.status, 302)
    assert.equal(await deliverDueGrades({ retryBaseMs: 0 }), 1)

    assert.lengthOf(platform.scores, 1)
    const { body, contentType, scope } = platform.scores[0]
    assert.equal(contentType, 'application/vnd.ims.lis.v1.score+json')
    assert.include(scope, 'https://purl.imsglobal.org/spec/lti-ags/scope/score')
    assert.equal(body.userId, `lms-user-${platform.port}`)
    assert.equal(body.scoreGiven, 87)
    assert.equal(body.scoreMaximum, 100)
    assert.equal(body.activityProgress, 'Completed')
    assert.equal(body.gradingProgress, 'FullyGraded')
    assert.include(body.comment, '87')
    assert.include(body.comment, 'Принято')
    assert.isString(body.timestamp)

    /* The token: a client assertion signed with the tool's published key, verified here too. */
    const grant = platform.tokenRequests.find((r) => r.ok)!
    assert.exists(grant)
    assert.equal(grant.assertion!.iss, platform.clientId)
    assert.equal(grant.assertion!.sub, platform.clientId)
    assert.equal(grant.assertion!.aud, platform.tokenUrl)
    assert.isString(grant.assertion!.jti)
    const keys = await (await fetch(`${baseUrl()}/lti/jwks`)).json()
    assert.include(keys.keys.map((k: any) => k.kid), String(grant.header!.kid))

    const page = await (await client.request('/staff/lti/courses')).text()
    assert.include(page, 'data-post-state="delivered"')
  })

  test('an activity that names only its line items gets its score on the line item of its resource link', async ({ assert }) => {
    const { session, client, csrf, resourceLink } = await lmsSession({ gradesBack: true })
    resourceLink.agsLineitemUrl = null
    await resourceLink.save()
    await post(client, `/staff/sessions/${session.publicId}/decision`, { _csrf: csrf, decision: 'rejected', comment: 'Phone' })
    assert.equal(await deliverDueGrades({ retryBaseMs: 0 }), 1)
    assert.lengthOf(platform.scores, 1)
    assert.equal(platform.scores[0].lineitem, resourceLink.agsLineitemsUrl!.replace(/\/lineitems$/, '/lineitems/1/lineitem'))
    assert.include(platform.scores[0].body.comment, 'Аннулировано')
    const grant = platform.tokenRequests.find((r) => r.ok)!
    assert.include(grant.scope, 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly')
  })

  test('after a real learner launch, the decision reaches the gradebook of the activity the student came from', async ({ assert }) => {
    const system = await registered(platform)
    const { exam } = await examWithCandidate({ ltiGradesBack: true } as Partial<Exam>)
    const student = new WebClient(baseUrl(), 'ru')
    const { response } = await launchThrough(student, platform, {
      roles: [LTI_ROLES.learner],
      user: { id: `lms-learner-${platform.port}` },
      custom: { exam: String(exam.id) },
    })
    assert.equal(response.status, 200)
    const candidate = await Candidate.query().where({ systemId: system.id, externalId: `lms-learner-${platform.port}` }).firstOrFail()
    const session = await ProctoringSession.query().where({ candidateId: candidate.id, examId: exam.id }).firstOrFail()
    const { client, csrf } = await admin()
    await post(client, `/staff/sessions/${session.publicId}/decision`, { _csrf: csrf, decision: 'accepted', comment: '' })
    assert.equal(await deliverDueGrades({ retryBaseMs: 0 }), 1)
    assert.lengthOf(platform.scores, 1)
    assert.equal(platform.scores[0].body.userId, `lms-learner-${platform.port}`)
    assert.equal(platform.scores[0].lineitem, platform.lineitemUrl('course-101'))
  })

  test("Moodle's line item address (with ?type_id=) gets /scores before its query", ({ assert }) => {
    assert.equal(
      scoresUrl('https://moodle.uni.kz/mod/lti/services.php/2/lineitems/5/lineitem?type_id=1'),
      'https://moodle.uni.kz/mod/lti/services.php/2/lineitems/5/lineitem/scores?type_id=1'
    )
  })

  test('a gradebook failing twice receives the score a third time, and each attempt is shown', async ({ assert }) => {
    const { session, client, csrf } = await lmsSession({ gradesBack: true })
    platform.failNextScores = [500, 503]
    await post(client, `/staff/sessions/${session.publicId}/decision`, { _csrf: csrf, decision: 'review', comment: '' })
    for (let i = 0; i < 3; i++) await deliverDueGrades({ retryBaseMs: 0 })
    assert.lengthOf(platform.scores, 1)
    assert.equal(platform.scores[0].body.gradingProgress, 'PendingManual')
    const attempts = await db.from('lti_grade_posts').where('session_id', session.id).orderBy('id')
    assert.deepEqual(attempts.map((a) => [a.attempt, a.status_code, a.delivered_at !== null]), [[1, 500, false], [2, 503, false], [3, 204, true]])
    const page = await (await client.request('/staff/lti/courses')).text()
    assert.include(page, 'data-post-state="retried"')
    assert.include(page, 'data-post-state="delivered"')
  })

  test('a score whose tries ran out is shown as failed and sent again from the courses page', async ({ assert }) => {
    const { session, client, csrf } = await lmsSession({ gradesBack: true })
    platform.failNextScores = Array(8).fill(503)
    await post(client, `/staff/sessions/${session.publicId}/decision`, { _csrf: csrf, decision: 'accepted', comment: '' })
    for (let i = 0; i < 8; i++) await deliverDueGrades({ retryBaseMs: 0 })
    assert.lengthOf(platform.scores, 0)
    const failed = await (await client.request('/staff/lti/courses')).text()
    assert.include(failed, 'data-post-state="failed"')
    assert.include(failed, `/staff/lti/grades/${session.publicId}/retry`)

    const retried = await post(client, `/staff/lti/grades/${session.publicId}/retry`, { _csrf: csrf })
    assert.equal(retried.status, 302)
    assert.equal(await deliverDueGrades({ retryBaseMs: 0 }), 1)
    assert.lengthOf(platform.scores, 1)
    assert.exists(await AuditEntry.query().where({ action: 'lti.grade_retry', subjectId: session.publicId }).first())
    /* Delivered now: nothing left to send again. */
    const again = await client.request(`/staff/lti/grades/${session.publicId}/retry`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept': 'application/json' },
      body: new URLSearchParams({ _csrf: csrf }).toString(),
    })
    assert.equal(again.status, 404)
    assert.equal((await again.json()).error.code, 'LTI_GRADE_POST_NOT_FOUND')
  })

  test('with the exam not sending grades, a decision posts nothing', async ({ assert }) => {
    const { session, client, csrf } = await lmsSession({ gradesBack: false })
    await post(client, `/staff/sessions/${session.publicId}/decision`, { _csrf: csrf, decision: 'rejected', comment: 'x' })
    assert.equal(await deliverDueGrades({ retryBaseMs: 0 }), 0)
    assert.lengthOf(platform.scores, 0)
    assert.lengthOf(platform.tokenRequests, 0)
  })
})

test.group('LTI services: deep linking', (group) => {
  let platform: LtiPlatform
  group.each.setup(async () => {
    platform = await LtiPlatform.start({ toolUrl: baseUrl() })
    return () => platform.stop()
  })

  /** A deep-linking launch through login initiation and the platform's answer, as a browser makes it. */
  async function deepLinkLaunch(roles: string[], data = 'opaque-data-42', claims: Record<string, unknown> = {}) {
    const browser = new WebClient(baseUrl(), 'en')
    const login = platform.initiateLogin(`${baseUrl()}/lti/login`, { messageType: 'LtiDeepLinkingRequest', roles, deepLinkData: data, locale: 'en', claims })
    const toAuth = await browser.request(login.url.slice(baseUrl().length))
    const { redirectUri, idToken, state } = await platform.authorize(toAuth.headers.get('location')!)
    return {
      browser,
      response: await browser.request(new URL(redirectUri).pathname, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ id_token: idToken, state }).toString(),
      }),
    }
  }

  test('a deep-linking response is verified by the test with the tool published keys', async ({ assert }) => {
    await registered(platform)
    const existing = (await examWithCandidate()).exam
    const { browser, response } = await deepLinkLaunch([LTI_ROLES.instructor])
    assert.equal(response.status, 200)
    assert.include(response.headers.get('content-security-policy') ?? '', `frame-ancestors ${platform.issuer}`)
    const page = await response.text()
    assert.include(page, existing.title)
    const action = /action="(\/lti\/deep-link\/[^"]+)"/.exec(page)?.[1]
    assert.exists(action)

    /* A new exam, made from the LMS (no cookie of ours needed: a fresh client posts the choice). */
    const teacher = new WebClient(baseUrl(), 'en')
    const chosen = await post(teacher, action!, {
      choice: 'new',
      title: 'Физиология: итоговый',
      durationMinutes: '45',
      examUrl: 'https://moodle.uni.kz/mod/quiz/view.php?id=12',
      requiresScreen: 'true',
      requiresFace: 'true',
    })
    assert.equal(chosen.status, 200)
    assert.include(chosen.headers.get('content-security-policy') ?? '', `form-action 'self' ${platform.issuer}`)
    const answer = await chosen.text()
    assert.include(answer, `action="${platform.deepLinkReturnUrl}"`)
    assert.include(answer, 'data-lti-autosubmit')
    const jwt = /name="JWT" value="([^"]+)"/.exec(answer)![1]

    /* The test verifies it with the tool's published keys. */
    const { payload, protectedHeader } = await jwtVerify(jwt, await toolKeys(), { issuer: platform.clientId, audience: platform.issuer })
    assert.equal(protectedHeader.alg, 'RS256')
    assert.equal(payload[`${LTI}/message_type`], 'LtiDeepLinkingResponse')
    assert.equal(payload[`${LTI}/version`], '1.3.0')
    assert.equal(payload[`${LTI}/deployment_id`], platform.deploymentId)
    assert.equal(payload['https://purl.imsglobal.org/spec/lti-dl/claim/data'], 'opaque-data-42')
    const exam = await Exam.findByOrFail('title', 'Физиология: итоговый')
    assert.equal(exam.durationMinutes, 45)
    assert.equal(exam.examUrl, 'https://moodle.uni.kz/mod/quiz/view.php?id=12')
    assert.deepEqual([exam.requiresScreen, exam.requiresPhone, exam.requiresFace, exam.requiresDocument], [true, false, true, false])
    const items = payload['https://purl.imsglobal.org/spec/lti-dl/claim/content_items'] as any[]
    assert.lengthOf(items, 1)
    assert.equal(items[0].type, 'ltiResourceLink')
    assert.equal(items[0].title, 'Физиология: итоговый')
    assert.deepEqual(items[0].custom, { exam: String(exam.id) })
    assert.equal(items[0].lineItem.scoreMaximum, 100)
    assert.equal(items[0].window.targetName, '_blank')

    /* The browser's post of the form reaches the platform, which verifies it too. */
    const returned = await fetch(platform.deepLinkReturnUrl, { method: 'POST', body: new URLSearchParams({ JWT: jwt }) })
    assert.equal(returned.status, 200)
    assert.isTrue(platform.deepLinkResponses[0].ok)
    assert.isDefined(decodeProtectedHeader(jwt).kid)

    /* Archived; and the choice page is used up. */
    assert.exists(await AuditEntry.query().where({ action: 'lti.deep_link', subjectId: String(exam.id) }).first())
    assert.exists(await AuditEntry.query().where({ action: 'exam.create', subjectId: String(exam.id) }).first())
    const replay = await post(browser, action!, { choice: 'existing', examId: String(existing.id) })
    assert.equal(replay.status, 400)
    assert.include(await replay.text(), 'data-error-code="LTI_DEEP_LINK_EXPIRED"')
  })

  test('the choice form keeps its values and shows errors next to the fields', async ({ assert }) => {
    await registered(platform)
    const { response } = await deepLinkLaunch([LTI_ROLES.instructor])
    const action = /action="(\/lti\/deep-link\/[^"]+)"/.exec(await response.text())![1]
    const client = new WebClient(baseUrl(), 'en')
    const bad = await post(client, action, { choice: 'new', title: 'Кесте', durationMinutes: '0', examUrl: 'javascript:alert(1)', requiresPhone: 'true' })
    assert.equal(bad.status, 422)
    const page = await bad.text()
    assert.include(page, 'data-field="durationMinutes"')
    assert.include(page, 'data-field="examUrl"')
    assert.include(page, 'value="Кесте"')
    assert.match(page, /name="requiresPhone" value="true" checked/)
    assert.notMatch(page, /name="requiresScreen" value="true" checked/)
    /* Still usable after the error: an existing exam this time. */
    const existing = (await examWithCandidate({ title: `Бар емтихан ${platform.port}` })).exam
    const good = await post(client, action, { choice: 'existing', examId: String(existing.id) })
    assert.equal(good.status, 200)
    const jwt = /name="JWT" value="([^"]+)"/.exec(await good.text())![1]
    const { payload } = await jwtVerify(jwt, await toolKeys(), { issuer: platform.clientId, audience: platform.issuer })
    const items = payload['https://purl.imsglobal.org/spec/lti-dl/claim/content_items'] as any[]
    assert.deepEqual(items[0].custom, { exam: String(existing.id) })
    assert.equal(items[0].title, `Бар емтихан ${platform.port}`)
  })

  test('a platform that takes no LTI activity in its deep-linking request is told so', async ({ assert }) => {
    await registered(platform)
    const settings = {
      deep_link_return_url: platform.deepLinkReturnUrl,
      accept_types: ['file', 'html'],
      accept_presentation_document_targets: ['iframe'],
    }
    const kept = async () => Number((await db.from('lti_deep_link_requests').count('* as n'))[0].n)
    const before = await kept()
    const { response } = await deepLinkLaunch([LTI_ROLES.instructor], 'x', { 'https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings': settings })
    assert.equal(response.status, 400)
    assert.include(await response.text(), 'data-error-code="LTI_DEEP_LINK_TYPE_UNSUPPORTED"')
    assert.equal(await kept(), before)
  })

  test('a teacher who goes back without choosing sends the LMS a signed answer with no content, and no exam is made', async ({ assert }) => {
    await registered(platform)
    const exams = (await Exam.all()).length
    const { response } = await deepLinkLaunch([LTI_ROLES.instructor], 'back-data')
    const action = /action="(\/lti\/deep-link\/[^"]+)"/.exec(await response.text())![1]
    const client = new WebClient(baseUrl(), 'en')
    const back = await post(client, action, { choice: 'new', title: '', durationMinutes: '60', cancel: '1' })
    assert.equal(back.status, 200)
    const jwt = /name="JWT" value="([^"]+)"/.exec(await back.text())![1]
    const { payload } = await jwtVerify(jwt, await toolKeys(), { issuer: platform.clientId, audience: platform.issuer })
    assert.deepEqual(payload['https://purl.imsglobal.org/spec/lti-dl/claim/content_items'], [])
    assert.equal(payload['https://purl.imsglobal.org/spec/lti-dl/claim/data'], 'back-data')
    assert.equal((await Exam.all()).length, exams)
    /* Used up like a choice. */
    assert.equal((await post(client, action, { cancel: '1' })).status, 400)
  })

  test('a learner cannot add content to a course', async ({ assert }) => {
    await registered(platform)
    const { response } = await deepLinkLaunch([LTI_ROLES.learner])
    assert.equal(response.status, 403)
    assert.include(await response.text(), 'data-error-code="LTI_ROLE_UNSUPPORTED"')
  })
})
