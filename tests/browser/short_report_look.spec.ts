import { test } from '@japa/runner'
import Candidate from '#models/candidate'
import { staffUser } from '#tests/helpers/fixtures'
import { checkPage, logIn, appAndBrowser } from '#tests/helpers/page_checks'
import { analysisFinding, endedAfter, studentInExam } from '#tests/helpers/report'
import { LOCALES } from '#services/locale'

test.group('Short report print view at 1280x720 in kk, ru and en (issue 11)', (group) => {
  const pages = appAndBrowser(group)

  test('the print view with its facts and violations, and one with none', async ({ assert }) => {
    const titles = { titleKk: 'Гистология — аралық бақылау', titleRu: 'Гистология — промежуточный контроль', titleEn: 'Histology — midterm' }
    const { session, origin } = await studentInExam({ passThreshold: 70, ...titles }, pages.server.url)
    await Candidate.query().where('id', session.candidateId).update({ fullName: 'Әбілқасымова Айгерім Серікқызы' })
    await analysisFinding(session, origin, 'no_face', 60, 120)
    await analysisFinding(session, origin, 'multiple_faces', 200, 215)
    await analysisFinding(session, origin, 'voice_detected', 300, 330)
    await analysisFinding(session, origin, 'tab_hidden', 410, 412, 'browser')
    await endedAfter(session, origin, 900)
    const clean = await studentInExam({ ...titles }, pages.server.url)
    await endedAfter(clean.session, clean.origin, 600)

    const { user, password } = await staffUser('proctor')
    const page = await pages.browser.newPage()
    for (const locale of LOCALES) {
      await page.context().clearCookies()
      await logIn(page, pages.server.url, user, password, locale)
      await page.goto(`${pages.server.url}/staff/sessions/${session.publicId}/short-report`)
      assert.equal(await page.locator('.short-table tbody tr').count(), 4)
      await checkPage(page, `short-report-${locale}`, assert)
      await page.goto(`${pages.server.url}/staff/sessions/${clean.session.publicId}/short-report`)
      assert.equal(await page.locator('.short-table').count(), 0)
      await checkPage(page, `short-report-empty-${locale}`, assert)
    }
    /* The full report offers it beside the status (its longest words: Kazakh). */
    await page.context().clearCookies()
    await logIn(page, pages.server.url, user, password, 'kk')
    await page.goto(`${pages.server.url}/staff/sessions/${session.publicId}`)
    await page.locator(`a[href="/staff/sessions/${session.publicId}/short-report"]`).waitFor()
    await checkPage(page, 'report-with-short-report-kk', assert)
    /* On paper only the report: the panel's top bar and buttons are gone. */
    await page.emulateMedia({ media: 'print' })
    await page.goto(`${pages.server.url}/staff/sessions/${session.publicId}/short-report`)
    assert.isFalse(await page.locator('.topbar').isVisible())
    const screenOnly = await page.locator('.no-print').all()
    assert.isAtLeast(screenOnly.length, 1)
    for (const part of screenOnly) assert.isFalse(await part.isVisible())
    assert.isTrue(await page.locator('.short-report h1').isVisible())
  })
})
