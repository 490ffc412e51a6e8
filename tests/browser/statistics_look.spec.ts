import { test } from '@japa/runner'
import { staffUser } from '#tests/helpers/fixtures'
import { checkPage, logIn, appAndBrowser } from '#tests/helpers/page_checks'
import { seeded } from '#tests/helpers/statistics_data'
import { LOCALES } from '#services/locale'

test.group('Statistics page at 1280x720 in kk, ru and en (issue 11)', (group) => {
  const pages = appAndBrowser(group)

  test('charts, connections, reconnections and exams for a week; a range with nothing in it', async ({ assert }) => {
    const { exam } = await seeded()
    const { user, password } = await staffUser('admin')
    const page = await pages.browser.newPage()
    for (const locale of LOCALES) {
      await page.context().clearCookies()
      await logIn(page, pages.server.url, user, password, locale)
      await page.goto(`${pages.server.url}/staff/statistics?from=2026-03-01&to=2026-03-07&exam=${exam.id}`)
      assert.equal(await page.locator('[data-testid=chart-days] rect').count(), 7)
      await checkPage(page, `statistics-${locale}`, assert)
      await page.goto(`${pages.server.url}/staff/statistics?from=2020-01-01&to=2020-01-31`)
      await page.locator('[data-testid=statistics-empty]').waitFor()
      await checkPage(page, `statistics-empty-${locale}`, assert)
    }
  })
})
