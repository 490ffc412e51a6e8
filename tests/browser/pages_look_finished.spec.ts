import { test } from '@japa/runner'
import { mkdir } from 'node:fs/promises'
import app from '@adonisjs/core/services/app'
import type { BrowserContext, Page } from 'playwright-core'
import { AppServer } from '#tests/helpers/app_server'
import { launchBrowser } from '#tests/helpers/browser'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { StudentPage } from '#tests/helpers/student_page'
import { LOCALES } from '#services/locale'

const SHOTS = app.makePath('tmp/screenshots')

/**
 * Every page, in every language, at 1280x720: no untranslated key on screen, nothing wider
 * than the window, every control reachable. Screenshots land in tmp/screenshots to look at.
 */
async function checkPage(page: Page, name: string, assert: any, expectError?: string) {
  await page.waitForLoadState('networkidle')
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
  let server: AppServer
  let browser: BrowserContext

  group.setup(async () => {
    await mkdir(SHOTS, { recursive: true })
    server = await AppServer.start()
    browser = await launchBrowser()
    return async () => {
      await browser.close()
      await server.stop()
    }
  })

  test('staff pages: login, results, report, links', async ({ assert }) => {
    const { user, password } = await staffUser('admin')
    const { link } = await examWithCandidate({ title: 'Гистология — промежуточный контроль' })
    await fetch(`${server.url}${link}`)
    const page = await browser.newPage()
    for (const locale of LOCALES) {
      await page.context().clearCookies()
      await page.goto(`${server.url}/login?lang=${locale}`)
      await checkPage(page, `login-${locale}`, assert)
      await page.locator('input[name=email]').fill(user.email)
      await page.locator('input[name=password]').fill(password)
      await page.locator('form[action="/login"] button[type=submit]').click()
      await page.waitForURL('**/staff/results')
      await checkPage(page, `results-${locale}`, assert)
      await page.locator('tr[data-session] a').first().click()
      await page.waitForURL('**/staff/sessions/*')
      await checkPage(page, `report-${locale}`, assert)
      await page.goto(`${server.url}/staff/links`)
      await checkPage(page, `links-${locale}`, assert)
      await page.goto(`${server.url}/staff/results?q=nobody-has-this-name`)
      await checkPage(page, `results-empty-${locale}`, assert)
    }
    await page.close()
  })

  test('student pages: devices, photo, recording, done, a bad link', async ({ assert }) => {
    for (const locale of LOCALES) {
      const { link } = await examWithCandidate({ title: 'Анатомия — итоговый экзамен', examUrl: 'https://moodle.example.kz/mod/quiz/view.php?id=1' })
      const student = await StudentPage.open(browser, `${server.url}${link}?lang=${locale}`)
      await checkPage(student.page, `student-devices-${locale}`, assert)
      await student.page.locator('[data-action="allow"]').click()
      await student.step('photo').waitFor({ state: 'visible' })
      await checkPage(student.page, `student-photo-${locale}`, assert)
      await student.page.locator('[data-action="snap"]').click()
      await student.page.locator('[data-action="send-photo"]').click()
      await student.step('ready').waitFor({ state: 'visible' })
      await checkPage(student.page, `student-ready-${locale}`, assert)
      await student.start()
      await checkPage(student.page, `student-recording-${locale}`, assert)
      await student.finish()
      await checkPage(student.page, `student-done-${locale}`, assert)
      await student.page.goto(`${server.url}/s/not-a-link?lang=${locale}`)
      await checkPage(student.page, `student-bad-link-${locale}`, assert, 'LINK_INVALID')
      await student.page.close()
    }
  })
})
