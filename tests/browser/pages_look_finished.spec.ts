import { appAndBrowser, settled } from '#tests/helpers/page_checks'
import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import type { Page } from 'playwright-core'
import { launchBrowser } from '#tests/helpers/browser'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { StudentPage } from '#tests/helpers/student_page'
import { LmsServer } from '#tests/helpers/lms_server'
import { faceCameraVideo } from '#tests/helpers/media'
import { sleep } from '#tests/helpers/wait'
import { LOCALES } from '#services/locale'

const SHOTS = app.makePath('tmp/screenshots')

/**
 * Every page, in every language, at 1280x720: no untranslated key on screen, nothing wider
 * than the window, every control reachable. Screenshots land in tmp/screenshots to look at.
 */
async function checkPage(page: Page, name: string, assert: any, expectError?: string) {
  await settled(page)
  const errorCode = await page.locator('[data-error-code]').getAttribute('data-error-code', { timeout: 100 }).catch(() => null)
  assert.equal(errorCode, expectError ?? null, `${name}: error page`)
  const problems = await page.evaluate(() => {
    const text = document.body.innerText
    return {
      rawKeys: text.match(/\b(messages|errors)\.[a-z_]+\.[a-z_.]+/g) ?? [],
      overflow: document.documentElement.scrollWidth > window.innerWidth,
      unlabeled: [...document.querySelectorAll('input:not([type=hidden]), select, button')]
        .filter((el) => (el as HTMLElement).offsetParent !== null)
        .filter((el) => !(el.closest('label') || el.getAttribute('aria-label') || (el as HTMLElement).innerText?.trim()))
        .map((el) => el.outerHTML.slice(0, 80)),
    }
  })
  assert.deepEqual(problems.rawKeys, [], `${name}: untranslated keys`)
  assert.isFalse(problems.overflow, `${name}: wider than 1280 px`)
  assert.deepEqual(problems.unlabeled, [], `${name}: controls without a label`)
  await page.screenshot({ path: `${SHOTS}/${name}.png` })
}

test.group('Pages at 1280x720 in kk, ru and en', (group) => {
  const pages = appAndBrowser(group)

  test('staff pages: login, results, report, links', async ({ assert }) => {
    const { user, password } = await staffUser('admin')
    const { link } = await examWithCandidate({ title: 'Гистология — промежуточный контроль' })
    await fetch(`${pages.server.url}${link}`)
    const page = await pages.browser.newPage()
    for (const locale of LOCALES) {
      await page.context().clearCookies()
      await page.goto(`${pages.server.url}/login?lang=${locale}`)
      await checkPage(page, `login-${locale}`, assert)
      await page.locator('input[name=email]').fill(user.email)
      await page.locator('input[name=password]').fill(password)
      await page.locator('form[action="/login"] button[type=submit]').click()
      await page.waitForURL('**/staff/results')
      await checkPage(page, `results-${locale}`, assert)
      await page.locator('tr[data-session] a').first().click()
      await page.waitForURL('**/staff/sessions/*')
      await checkPage(page, `report-${locale}`, assert)
      await page.goto(`${pages.server.url}/staff/links`)
      await checkPage(page, `links-${locale}`, assert)
      await page.goto(`${pages.server.url}/staff/results?q=nobody-has-this-name`)
      await checkPage(page, `results-empty-${locale}`, assert)
    }
    await page.close()
  })

  test('student pages: check, rules, photos, exam view, done, stopped, choice, phone, a bad link', async ({ assert }) => {
    const faces = await launchBrowser({ videoFile: await faceCameraVideo() })
    try {
      for (const locale of LOCALES) {
        const lms = await LmsServer.start(pages.server.url)
        const { link } = await examWithCandidate({
          title: 'Анатомия — итоговый экзамен',
          examUrl: lms.url,
          requiresPhone: true,
          violationLimit: 1,
          rules: { allowed: ['calculator', 'paper', 'water'], forbidden: ['phone', 'books', 'other_people', 'headphones'] },
        })
        const student = await StudentPage.open(faces, `${pages.server.url}${link}?lang=${locale}`)
        const page = student.page
        await checkPage(page, `student-check-${locale}`, assert)
        await student.runChecks()
        await checkPage(page, `student-check-done-${locale}`, assert)
        await page.locator('[data-action="checks-continue"]').click()
        await student.step('rules').waitFor({ state: 'visible' })
        await checkPage(page, `student-rules-${locale}`, assert)
        await student.acceptRules()
        await student.step('face').waitFor({ state: 'visible' })
        await checkPage(page, `student-face-${locale}`, assert)
        await student.sendPhoto('face')
        await checkPage(page, `student-document-${locale}`, assert)
        await student.sendPhoto('document')
        await checkPage(page, `student-ready-${locale}`, assert)
        await student.start()
        await page.frameLocator('[data-role="exam-frame"]').locator('#question').waitFor()
        await checkPage(page, `student-exam-${locale}`, assert)
        const phone = await faces.newPage()
        await phone.setViewportSize({ width: 390, height: 800 })
        await phone.goto((await page.locator('[data-testid="phone-qr"]').getAttribute('data-phone-url'))!)
        await checkPage(phone, `phone-${locale}`, assert)
        await phone.close()
        for (let i = 0; i < 2; i++) await page.locator('.panel-exam').click({ button: 'right' })
        await student.step('stopped').waitFor({ state: 'visible', timeout: 60_000 })
        await checkPage(page, `student-stopped-${locale}`, assert)
        await page.close()
        await lms.stop()

        const several = await examWithCandidate({ title: 'Гистология', examUrl: null })
        const { issueStudentLink } = await import('#actions/sessions/student_link')
        const choose = await faces.newPage()
        await choose.goto(`${pages.server.url}${issueStudentLink([several.exam.id, several.exam.id - 1], several.candidate.id).path}?lang=${locale}`)
        await checkPage(choose, `student-choose-${locale}`, assert)
        await choose.locator(`[data-exam="${several.exam.id}"]`).click()
        const second = new StudentPage(choose)
        await second.getReady()
        await second.start()
        await sleep(3500)
        await second.finish()
        await checkPage(choose, `student-done-${locale}`, assert)
        await choose.goto(`${pages.server.url}/s/not-a-link?lang=${locale}`)
        await checkPage(choose, `student-bad-link-${locale}`, assert, 'LINK_INVALID')
        await choose.close()
      }
    } finally {
      await faces.close()
    }
  })
})
