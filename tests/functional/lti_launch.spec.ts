import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import Candidate from '#models/candidate'
import User from '#models/user'
import ProctoringSession from '#models/proctoring_session'
import LtiResourceLink from '#models/lti_resource_link'
import Group from '#models/group'
import { examWithCandidate } from '#tests/helpers/fixtures'
import { WebClient } from '#tests/helpers/http'
import { LTI_ROLES, LtiPlatform, type LaunchOptions } from '#tests/helpers/lti_platform'
import { launchThrough, registerPlatform } from '#tests/helpers/lti_launch'

const baseUrl = () => env.get('APP_URL')

async function counts() {
  const [candidates, sessions, users, links] = await Promise.all(
    ['candidates', 'proctoring_sessions', 'users', 'lti_resource_links'].map(async (table) => Number((await db.from(table).count('* as n'))[0].n))
  )
  return { candidates, sessions, users, links }
}

/** A platform registered with the tool, an exam the launches bind (custom parameter exam), and a stop at the end. */
async function setUp(cleanup: (fn: () => Promise<void>) => void) {
  const platform = await LtiPlatform.start({ toolUrl: baseUrl() })
  cleanup(() => platform.stop())
  const system = await registerPlatform(platform)
  const { exam } = await examWithCandidate({ examUrl: 'https://moodle.example/mod/quiz/view.php?id=5' })
  const bound = (options: LaunchOptions = {}): LaunchOptions => ({ ...options, custom: { exam: String(exam.id), ...options.custom } })
  return { platform, system, exam, bound }
}

function errorCode(html: string) {
  return /data-error-code="([A-Z_]+)"/.exec(html)?.[1]
}

test.group('LTI launch: refusals, each with its own code and nothing created', () => {
  const refusals: { name: string; tamper: LaunchOptions['tamper']; code: string }[] = [
    { name: 'a tampered signature is refused with LTI_SIGNATURE_INVALID', tamper: 'signature', code: 'LTI_SIGNATURE_INVALID' },
    { name: 'a wrong audience is refused with LTI_AUDIENCE_MISMATCH', tamper: 'audience', code: 'LTI_AUDIENCE_MISMATCH' },
    { name: 'an unknown deployment is refused with LTI_DEPLOYMENT_UNKNOWN', tamper: 'deployment', code: 'LTI_DEPLOYMENT_UNKNOWN' },
    { name: 'an expired token is refused with LTI_TOKEN_EXPIRED', tamper: 'expired', code: 'LTI_TOKEN_EXPIRED' },
    { name: 'a token of an unknown issuer is refused with LTI_ISSUER_UNKNOWN', tamper: 'issuer', code: 'LTI_ISSUER_UNKNOWN' },
  ]
  for (const refusal of refusals) {
    test(refusal.name, async ({ assert, cleanup }) => {
      const { platform, bound } = await setUp(cleanup)
      const before = await counts()
      const { response, html } = await launchThrough(new WebClient(baseUrl(), 'en'), platform, bound({ tamper: refusal.tamper, locale: 'kk' }))
      assert.equal(response.status, 400)
      assert.equal(errorCode(html), refusal.code)
      /* The page is in the language the platform asked for (kk). */
      assert.include(html, '<html lang="kk">')
      assert.deepEqual(await counts(), before)
      /* Refused launches that name a registered platform are archived with their code. */
      if (refusal.tamper !== 'issuer') {
        const entry = await db.from('audit_entries').where('action', 'lti.launch_refused').orderBy('id', 'desc').first()
        assert.equal(JSON.parse(entry.details).code, refusal.code)
      }
    })
  }

  test('a token that is not LTI 1.3 or lands elsewhere is refused with its code', async ({ assert, cleanup }) => {
    const { platform, bound } = await setUp(cleanup)
    const before = await counts()
    const cases: [Record<string, unknown>, string][] = [
      [{ 'https://purl.imsglobal.org/spec/lti/claim/version': '1.1' }, 'LTI_VERSION_UNSUPPORTED'],
      [{ 'https://purl.imsglobal.org/spec/lti/claim/message_type': undefined }, 'LTI_CLAIM_MISSING'],
      [{ 'https://purl.imsglobal.org/spec/lti/claim/target_link_uri': 'https://evil.example/lti/launch' }, 'LTI_TARGET_INVALID'],
      [{ azp: 'someone-else' }, 'LTI_AUDIENCE_MISMATCH'],
      [{ 'https://purl.imsglobal.org/spec/lti/claim/message_type': 'LtiSubmissionReviewRequest' }, 'LTI_MESSAGE_TYPE_UNSUPPORTED'],
    ]
    for (const [claims, code] of cases) {
      const { response, html } = await launchThrough(new WebClient(baseUrl(), 'en'), platform, bound({ claims }))
      assert.equal(response.status, 400, code)
      assert.equal(errorCode(html), code)
    }
    assert.deepEqual(await counts(), before)
  })

  test('a replayed nonce is refused with LTI_NONCE_REPLAYED', async ({ assert, cleanup }) => {
    const { platform, bound } = await setUp(cleanup)
    const client = new WebClient(baseUrl(), 'en')
    const first = await launchThrough(client, platform, bound())
    assert.equal(first.response.status, 200)
    const before = await counts()
    const again = await client.request('/lti/launch', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(first.form).toString(),
    })
    assert.equal(again.status, 400)
    assert.equal(errorCode(await again.text()), 'LTI_NONCE_REPLAYED')
    assert.deepEqual(await counts(), before)
  })

  test('a wrong state is refused with LTI_STATE_INVALID, also a state started in another browser', async ({ assert, cleanup }) => {
    const { platform, bound } = await setUp(cleanup)
    const before = await counts()
    const made = await launchThrough(new WebClient(baseUrl(), 'en'), platform, bound(), (form) => ({ ...form, state: 'made-up-state' }))
    assert.equal(made.response.status, 400)
    assert.equal(errorCode(made.html), 'LTI_STATE_INVALID')

    /* Another browser (its own binding cookie) posts the first browser's state and token. */
    const first = new WebClient(baseUrl(), 'en')
    const other = new WebClient(baseUrl(), 'en')
    await other.request('/lti/login?' + platform.initiateLogin(`${baseUrl()}/lti/login`).params.toString())
    let stolen: { id_token: string; state: string } | null = null
    await launchThrough(first, platform, bound(), (form) => {
      stolen = form
      return { id_token: 'x', state: 'y' }
    })
    const response = await other.request('/lti/launch', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(stolen!).toString(),
    })
    assert.equal(response.status, 400)
    assert.equal(errorCode(await response.text()), 'LTI_STATE_INVALID')
    assert.deepEqual(await counts(), before)
  })

  test('a login initiation for an unknown issuer or another site is refused with its code', async ({ assert, cleanup }) => {
    const { platform } = await setUp(cleanup)
    const client = new WebClient(baseUrl(), 'ru')
    const unknown = platform.initiateLogin(`${baseUrl()}/lti/login`).params
    unknown.set('iss', 'https://unknown.example')
    const first = await client.request(`/lti/login?${unknown}`)
    assert.equal(first.status, 400)
    assert.equal(errorCode(await first.text()), 'LTI_ISSUER_UNKNOWN')
    const elsewhere = platform.initiateLogin(`${baseUrl()}/lti/login`, {}, 'https://evil.example/lti/launch').params
    const second = await client.request(`/lti/login?${elsewhere}`)
    assert.equal(second.status, 400)
    assert.equal(errorCode(await second.text()), 'LTI_TARGET_INVALID')
  })
})

test.group('LTI launch: learners and instructors', () => {
  test('a learner launch creates the candidate from the LMS user and opens the session in the student flow', async ({ assert, cleanup }) => {
    const { platform, system, exam, bound } = await setUp(cleanup)
    const client = new WebClient(baseUrl(), 'en')
    const { response, html } = await launchThrough(
      client,
      platform,
      bound({ user: { id: 'lms-42', name: 'Әлібек Қанатұлы', email: 'Alibek@Uni.example' }, custom: { quiz_url: 'https://quiz.example/mod/quiz/view.php?id=9' } })
    )
    assert.equal(response.status, 200)
    /* The platform's frame may show this page; nothing else may. */
    assert.include(response.headers.get('content-security-policy')!, `frame-ancestors ${new URL(platform.issuer).origin}`)
    assert.isNull(response.headers.get('x-frame-options'))
    const link = /href="(\/s\/[^"]+)"/.exec(html)?.[1]
    assert.exists(link)

    const candidate = await Candidate.query().where({ systemId: system.id, externalId: 'lms-42' }).firstOrFail()
    assert.equal(candidate.fullName, 'Әлібек Қанатұлы')
    assert.equal(candidate.email, 'alibek@uni.example')
    const group = await Group.findOrFail(candidate.groupId!)
    assert.equal(group.name, 'Анатомия 101')
    const session = await ProctoringSession.query().where({ candidateId: candidate.id, examId: exam.id }).firstOrFail()
    assert.equal(session.systemId, system.id)
    assert.equal(session.quizUrl, 'https://quiz.example/mod/quiz/view.php?id=9')

    /* The student flow: the exam page, framing the launch's quiz. */
    const page = await client.request(link!)
    assert.equal(page.status, 200)
    assert.include(await page.text(), exam.title)
    assert.include(page.headers.get('content-security-policy')!, 'frame-src https://quiz.example')

    /* The resource link keeps the course and its services. */
    const row = await LtiResourceLink.query().where({ systemId: system.id, resourceLinkId: 'resource-link-1' }).firstOrFail()
    assert.equal(row.examId, exam.id)
    assert.equal(row.contextId, 'course-101')
    assert.equal(row.nrpsUrl, platform.membershipsUrl('course-101'))
    assert.equal(row.agsLineitemUrl, platform.lineitemUrl('course-101'))

    /* A second launch of the same student: the same candidate and session. */
    const again = await launchThrough(new WebClient(baseUrl(), 'en'), platform, bound({ user: { id: 'lms-42', name: 'Әлібек Қанатұлы' } }))
    assert.equal(again.response.status, 200)
    assert.equal(await Candidate.query().where({ systemId: system.id, externalId: 'lms-42' }).count('* as n').then((r) => Number(r[0].$extras.n)), 1)
    assert.lengthOf(await ProctoringSession.query().where({ candidateId: candidate.id }), 1)
    const archived = await db.from('audit_entries').where('action', 'lti.launch_learner').where('subject_id', String(candidate.id))
    assert.lengthOf(archived, 2)
  })

  test('a learner launch of an activity with no exam bound shows LTI_EXAM_NOT_BOUND', async ({ assert, cleanup }) => {
    const { platform } = await setUp(cleanup)
    const before = await counts()
    const { response, html } = await launchThrough(new WebClient(baseUrl(), 'en'), platform, { resourceLink: { id: 'unbound-link' }, locale: 'en' })
    assert.equal(response.status, 404)
    assert.equal(errorCode(html), 'LTI_EXAM_NOT_BOUND')
    assert.include(html, 'No exam is bound to this activity yet')
    assert.equal((await counts()).candidates, before.candidates)
  })

  test("an instructor launch makes a proctor scoped to the course's exams and lands on the course's results", async ({ assert, cleanup }) => {
    const { platform, system, exam, bound } = await setUp(cleanup)
    const other = await examWithCandidate()
    /* A student of the course took the exam: the instructor will see that session, not the other exam's. */
    const student = await launchThrough(new WebClient(baseUrl(), 'en'), platform, bound({ user: { id: 'lms-student-7', name: 'Айгерім Серікқызы' } }))
    assert.equal(student.response.status, 200)
    await (await new WebClient(baseUrl()).request(/href="(\/s\/[^"]+)"/.exec(student.html)![1])).text()

    const teacher = new WebClient(baseUrl(), 'en')
    const { response, html } = await launchThrough(
      teacher,
      platform,
      bound({ roles: [LTI_ROLES.instructor], user: { id: 'lms-teacher-1', name: 'Гүлнар Оқытушы', email: 'teacher@uni.example' } })
    )
    assert.equal(response.status, 200)
    const enter = /href="(\/staff\/lti\/enter\/[^"]+)"/.exec(html)?.[1]
    assert.exists(enter)

    const user = await User.query().where({ lmsSystemId: system.id, lmsUserId: 'lms-teacher-1' }).firstOrFail()
    assert.equal(user.role, 'proctor')
    assert.equal(user.email, 'teacher@uni.example')
    const scope = await db.from('staff_scopes').where('user_id', user.id)
    assert.deepEqual(scope.map((row) => Number(row.exam_id)), [exam.id])

    const entered = await teacher.request(enter!)
    assert.equal(entered.status, 302)
    assert.equal(entered.headers.get('location'), '/staff/results')
    const results = await teacher.request('/staff/results')
    assert.equal(results.status, 200)
    const page = await results.text()
    assert.include(page, 'Айгерім Серікқызы')
    assert.notInclude(page, other.candidate.fullName)

    /* The ticket opens once. */
    const reused = await new WebClient(baseUrl(), 'en').request(enter!)
    assert.equal(reused.status, 403)
    assert.equal(errorCode(await reused.text()), 'LTI_TICKET_INVALID')
  })

  test('an instructor launch of an activity with no exam lets the teacher choose one, then lands on its results', async ({ assert, cleanup }) => {
    const { platform, system } = await setUp(cleanup)
    const { exam } = await examWithCandidate({ title: 'Биохимия — экзамен' })
    const archived = await examWithCandidate({ title: 'Старый экзамен', archived: true })
    const teacher = new WebClient(baseUrl(), 'en')
    const { response, html } = await launchThrough(teacher, platform, {
      roles: [LTI_ROLES.instructor],
      resourceLink: { id: 'no-exam-link' },
      context: { id: 'course-without-exams' },
      user: { id: 'lms-teacher-9' },
    })
    assert.equal(response.status, 200)
    const choose = /href="(\/staff\/lti\/choose\/[^"]+)"/.exec(html)?.[1]
    assert.exists(choose)
    assert.notMatch(html, /\/staff\/lti\/enter\//)
    const user = await User.query().where({ lmsSystemId: system.id, lmsUserId: 'lms-teacher-9' }).firstOrFail()
    assert.lengthOf(await db.from('staff_scopes').where('user_id', user.id), 0)

    /* The choice ticket signs nobody in by itself. */
    const ticket = choose!.split('/').pop()!
    const sneaked = await new WebClient(baseUrl(), 'en').request(`/staff/lti/enter/${ticket}`)
    assert.equal(sneaked.status, 403)

    const page = await teacher.request(choose!)
    assert.equal(page.status, 200)
    const form = await page.text()
    assert.include(form, 'Биохимия — экзамен')
    assert.notInclude(form, archived.exam.title)
    const csrf = /name='_csrf' value='([^']+)'/.exec(form)![1]
    const post = (fields: Record<string, string>) =>
      teacher.request(choose!, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf, ...fields }).toString() })

    /* The course has no exam yet: "its results" is not a way around choosing. */
    const noResults = await post({ results: '1' })
    assert.equal(noResults.status, 404)
    assert.equal(errorCode(await noResults.text()), 'LTI_EXAM_NOT_BOUND')
    const nothing = await post({})
    assert.equal(nothing.status, 422)
    assert.equal(errorCode(await nothing.text()), 'EXAM_CHOICE_REQUIRED')
    const notOffered = await post({ exam: String(archived.exam.id) })
    assert.equal(notOffered.status, 404)

    const chosen = await post({ exam: String(exam.id) })
    assert.equal(chosen.status, 302)
    assert.equal(chosen.headers.get('location'), '/staff/results')
    const link = await LtiResourceLink.query().where({ systemId: system.id, resourceLinkId: 'no-exam-link' }).firstOrFail()
    assert.equal(link.examId, exam.id)
    assert.deepEqual((await db.from('staff_scopes').where('user_id', user.id)).map((row) => Number(row.exam_id)), [exam.id])
    assert.equal((await teacher.request('/staff/results')).status, 200)
    assert.exists(await db.from('audit_entries').where({ action: 'lti.resource_link_bind', subject_id: String(link.id) }).first())

    /* Used once. */
    const again = await post({ exam: String(exam.id) })
    assert.equal(again.status, 403)
  })

  test('the key set serves the tool key, old and new after a rotation', async ({ assert }) => {
    const first = await (await fetch(`${baseUrl()}/lti/jwks`)).json()
    assert.isAtLeast(first.keys.length, 1)
    assert.notProperty(first.keys[0], 'd')
    const { rotateKeys } = await import('#services/lti/tool_keys')
    const { kid } = await rotateKeys()
    const second = await (await fetch(`${baseUrl()}/lti/jwks`)).json()
    assert.equal(second.keys[0].kid, kid)
    assert.include(second.keys.map((key: any) => key.kid), first.keys[0].kid)
    for (const key of second.keys) assert.notProperty(key, 'd')
  })
})
