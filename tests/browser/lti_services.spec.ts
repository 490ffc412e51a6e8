import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { createLocalJWKSet, jwtVerify } from 'jose'
import System from '#models/system'
import Exam from '#models/exam'
import LtiResourceLink from '#models/lti_resource_link'
import { LOCALES } from '#services/locale'
import { sqlTime } from '#services/sql_time'
import { SHOTS, checkPage, logIn, appAndBrowser } from '#tests/helpers/page_checks'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { openStudentLink } from '#tests/helpers/http'
import { registerPlatform } from '#tests/helpers/lti_launch'
import { LTI, LTI_ROLES, LtiPlatform } from '#tests/helpers/lti_platform'

test.group('LTI services in Chromium: dynamic registration, deep linking, the courses page (issue 10)', (group) => {
  const pages = appAndBrowser(group)
  const platforms: LtiPlatform[] = []
  group.setup(async () => async () => {
    for (const platform of platforms) await platform.stop()
  })
  const startPlatform = async () => {
    const platform = await LtiPlatform.start({ toolUrl: pages.server.url })
    platforms.push(platform)
    return platform
  }

  test('the courses page at 1280x720 in kk, ru and en: empty, then an activity with its roster and grade posts', async ({ assert }) => {
    const { user, password } = await staffUser('admin')
    const page = await pages.browser.newPage()
    await page.setViewportSize({ width: 1280, height: 720 })
    await page.context().clearCookies()
    await logIn(page, pages.server.url, user, password, 'ru')
    /* The empty state, when this file runs first (other LTI tests of a whole run leave courses behind). */
    if ((await LtiResourceLink.query().limit(1)).length === 0) {
      await page.goto(`${pages.server.url}/staff/lti/courses`)
      assert.equal(await page.locator('[data-testid=lti-courses-empty]').count(), 1)
      await checkPage(page, 'lti-courses-empty-ru', assert)
    }

    const platform = await startPlatform()
    const system = await registerPlatform(platform, { name: 'Moodle университета' })
    const { exam, candidate, link: studentLink } = await examWithCandidate({ title: 'Анатомия: итоговый экзамен', ltiGradesBack: true } as Partial<Exam>)
    const link = await LtiResourceLink.create({
      systemId: system.id,
      deploymentId: '1',
      contextId: 'course-101',
      contextTitle: 'Анатомия человека (2 курс)',
      contextLabel: 'ANAT-101',
      resourceLinkId: 'rl-courses-page',
      resourceLinkTitle: 'Итоговый экзамен с прокторингом',
      examId: exam.id,
      nrpsUrl: platform.membershipsUrl('course-101'),
      agsLineitemUrl: platform.lineitemUrl('course-101'),
      agsLineitemsUrl: platform.lineitemsUrl('course-101'),
      agsScopes: null,
    })
    const { sessionId } = await openStudentLink(pages.server.url, studentLink)
    const session = await db.from('proctoring_sessions').where('public_id', sessionId).first()
    await db.table('lti_grade_posts').insert([
      { session_id: session.id, resource_link_id: link.id, attempt: 1, status_code: 503, error: 'HTTP 503', next_try_at: sqlTime(), created_at: sqlTime() },
      { session_id: session.id, resource_link_id: link.id, attempt: 2, status_code: 204, delivered_at: sqlTime(), created_at: sqlTime() },
    ])
    assert.exists(candidate)

    for (const locale of LOCALES) {
      await page.goto(`${pages.server.url}/staff/lti/courses?lang=${locale}`)
      if (locale === 'kk') {
        /* The roster: 30 learners from the platform, shown as what happened. */
        await page.locator(`#link-${link.id} [data-testid=lti-roster-import]`).click()
        await page.waitForLoadState('networkidle')
        assert.include(await page.locator('[data-testid=lti-roster-result]').innerText(), '30')
      }
      assert.equal(await page.locator(`#link-${link.id} [data-state=on]`).count(), 1)
      await checkPage(page, `lti-courses-${locale}`, assert)
    }
    /* Grades back switched off with the keyboard: the button is reachable and says so after. */
    await page.locator(`#link-${link.id} [data-testid=lti-grades-toggle]`).focus()
    await page.keyboard.press('Enter')
    await page.locator(`#link-${link.id} [data-state=off]`).waitFor()
    assert.isFalse((await Exam.findOrFail(exam.id)).ltiGradesBack)
  })

  test('a dynamic registration against the test registration endpoint completes in Chromium (kk, ru, en)', async ({ assert }) => {
    const platform = await startPlatform()
    const { user, password } = await staffUser('admin')
    const page = await pages.browser.newPage()
    await page.setViewportSize({ width: 1280, height: 720 })
    for (const locale of LOCALES) {
      await page.context().clearCookies()
      await logIn(page, pages.server.url, user, password, locale)
      /* The platform's admin page opens the pasted tool URL in a window, as Moodle does. */
      await page.goto(`${platform.issuer}/admin/register?tool=${encodeURIComponent(`${pages.server.url}/lti/register`)}`)
      const [popup] = await Promise.all([page.context().waitForEvent('page'), page.locator('#open').click()])
      await popup.setViewportSize({ width: 1280, height: 720 })
      await popup.locator('[data-testid=lti-register-form]').waitFor()
      assert.include(await popup.locator('[data-testid=lti-platform-name]').innerText(), 'Moodle 5.0')
      await checkPage(popup, `lti-register-${locale}`, assert)
      await popup.locator('[data-testid=lti-register-form] button[type=submit]').click()
      await popup.locator('[data-testid=lti-registered]').waitFor()
      await checkPage(popup, `lti-registered-${locale}`, assert)
      /* The tool told the platform's page it is done (org.imsglobal.lti.close). */
      await page.locator('#status', { hasText: 'closed' }).waitFor({ timeout: 10_000 })
      await popup.close()
    }
    assert.lengthOf(platform.registrations, 3)
    const systems = await System.query().where({ issuer: platform.issuer, clientId: platform.clientId })
    assert.lengthOf(systems, 1)
    assert.equal(systems[0].registrationSource, 'dynamic')
    assert.deepEqual(systems[0].deploymentIds, [platform.deploymentId])
  })

  test('inside the LMS frame, the registration opens in a new window and the LMS hears that it is done', async ({ assert }) => {
    const platform = await startPlatform()
    const { user, password } = await staffUser('admin')
    const page = await pages.browser.newPage()
    await page.setViewportSize({ width: 1280, height: 720 })
    await page.context().clearCookies()
    await logIn(page, pages.server.url, user, password, 'en')
    /* Moodle's way: the tool's URL in an iframe of the platform's page (another site: our cookie stays out). */
    await page.goto(`${platform.issuer}/admin/register?frame=1&tool=${encodeURIComponent(`${pages.server.url}/lti/register`)}`)
    const frame = page.frameLocator('#tool')
    await frame.locator('[data-testid=lti-register-frame]').waitFor()
    await page.screenshot({ path: `${SHOTS}/lti-register-frame-en.png` })
    const [popup] = await Promise.all([page.context().waitForEvent('page'), frame.locator('[data-lti-window]').click()])
    await popup.locator('[data-testid=lti-register-form] button[type=submit]').click()
    await popup.locator('[data-testid=lti-registered]').waitFor()
    /* The window told the frame, the frame told the platform. */
    await frame.locator('[data-lti-relay-done]').waitFor({ state: 'visible' })
    await page.locator('#status', { hasText: 'closed' }).waitFor({ timeout: 10_000 })
    assert.lengthOf(platform.registrations, 1)
    assert.equal((await System.query().where({ issuer: platform.issuer }).firstOrFail()).registrationSource, 'dynamic')
  })

  test('a deep-linking response is verified by the test with the tool published keys, the teacher driving Chromium', async ({ assert }) => {
    const platform = await startPlatform()
    await registerPlatform(platform)
    const page = await pages.browser.newPage()
    await page.setViewportSize({ width: 1280, height: 720 })
    const made: string[] = []
    /* What the browser posts back to the platform: the signed JWT, kept to verify it here too. */
    const posted: string[] = []
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url() === platform.deepLinkReturnUrl) {
        posted.push(new URLSearchParams(request.postData() ?? '').get('JWT') ?? '')
      }
    })
    for (const locale of LOCALES) {
      const login = platform.initiateLogin(`${pages.server.url}/lti/login`, {
        messageType: 'LtiDeepLinkingRequest',
        roles: [LTI_ROLES.instructor],
        locale,
        deepLinkData: `data-${locale}`,
      })
      await page.goto(login.url)
      const form = page.locator('[data-testid=lti-deep-link]')
      await form.waitFor()
      await checkPage(page, `lti-deep-link-${locale}`, assert)

      /* A new exam with 0 minutes: the page comes back with the error beside the field, the title kept. */
      const title = `Физиология — итоговый (${locale})`
      await form.locator('input[name=choice][value=new]').check()
      await form.locator('input[name=title]').fill(title)
      await form.locator('input[name=durationMinutes]').fill('0')
      await form.locator('[data-testid=lti-deep-link-submit]').click()
      await page.locator('.field-error[data-field=durationMinutes]').waitFor()
      assert.equal(await page.locator('input[name=title]').inputValue(), title)
      await checkPage(page, `lti-deep-link-error-${locale}`, assert)

      await page.locator('input[name=choice][value=new]').check()
      await page.locator('input[name=durationMinutes]').fill('45')
      await page.locator('[data-testid=lti-deep-link-submit]').click()
      /* The page posts the signed response back to the platform on its own. */
      await page.locator('#selected').waitFor({ timeout: 15_000 })
      assert.equal(await page.locator('#item-title').innerText(), title)
      made.push(title)
    }
    assert.lengthOf(platform.deepLinkResponses, 3)
    const keys = createLocalJWKSet(await (await fetch(`${pages.server.url}/lti/jwks`)).json())
    for (const [index, response] of platform.deepLinkResponses.entries()) {
      assert.isTrue(response.ok, response.error)
      const exam = await Exam.findByOrFail('title', made[index])
      const items = response.payload!['https://purl.imsglobal.org/spec/lti-dl/claim/content_items'] as any[]
      assert.deepEqual(items[0].custom, { exam: String(exam.id) })
      assert.equal(response.payload![`${LTI}/deployment_id`], platform.deploymentId)
      assert.equal(response.payload!['https://purl.imsglobal.org/spec/lti-dl/claim/data'], `data-${LOCALES[index]}`)
    }
    /* The test's own check of what the browser posted, with the tool's published keys. */
    assert.lengthOf(posted, 3)
    for (const jwt of posted) {
      const { payload, protectedHeader } = await jwtVerify(jwt, keys, { issuer: platform.clientId, audience: platform.issuer })
      assert.equal(protectedHeader.alg, 'RS256')
      assert.equal(payload[`${LTI}/message_type`], 'LtiDeepLinkingResponse')
    }
  })
})
