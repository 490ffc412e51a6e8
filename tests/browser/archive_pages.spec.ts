import { test } from '@japa/runner'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { SHOTS, checkPage, logIn, appAndBrowser } from '#tests/helpers/page_checks'
import { recordAction } from '#actions/audit/record_action'
import { openStudentLink } from '#tests/helpers/http'
import { LOCALES } from '#services/locale'

/** What a working day leaves in the archive: logins, reviews, downloads, a decision, settings. */
async function aDayOfWork(baseUrl: string): Promise<string> {
  const { exam, link } = await examWithCandidate({ title: 'Гистология — аралық бақылау' })
  const { sessionId } = await openStudentLink(baseUrl, link)
  const proctor = { userId: null, name: 'Әбілқасымова Айгерім Серікқызы', iin: '850312400123', role: 'proctor' }
  const admin = { userId: null, name: 'Иванов Пётр Сергеевич', iin: '790101300456', role: 'admin' }
  await recordAction(admin, { action: 'exam.update', subjectType: 'exam', subjectId: exam.id, details: { title: exam.title } })
  await recordAction(proctor, { action: 'auth.login', ip: '10.0.0.7' })
  await recordAction(proctor, { action: 'report.view', subjectType: 'session', subjectId: sessionId })
  await recordAction(proctor, { action: 'recording.view', subjectType: 'recording', subjectId: 41, details: { session: sessionId, stream: 'webcam' } })
  await recordAction(proctor, { action: 'recording.download', subjectType: 'recording', subjectId: 42, details: { session: sessionId, stream: 'screen' } })
  await recordAction(proctor, { action: 'session.decision', subjectType: 'session', subjectId: sessionId, details: { from: 'none', to: 'accepted', comment: null } })
  return sessionId
}

test.group('Action archive pages at 1280x720 in kk, ru and en (issue 9)', (group) => {
  const pages = appAndBrowser(group)

  test('the archive page, its verification by keyboard and a filter that matches nothing', async ({ assert }) => {
    await aDayOfWork(pages.server.url)
    const { user, password } = await staffUser('auditor')
    const page = await pages.browser.newPage()
    for (const locale of LOCALES) {
      await page.context().clearCookies()
      await logIn(page, pages.server.url, user, password, locale)
      await page.goto(`${pages.server.url}/staff/archive`)
      assert.isAtLeast(await page.locator('[data-testid=archive] tbody tr').count(), 6)
      await checkPage(page, `archive-${locale}`, assert)

      /* The verify button is reached with the keyboard; the result replaces nothing else on the page. */
      await page.locator('[data-testid=archive-verify]').focus()
      await page.keyboard.press('Enter')
      await page.locator('[data-testid=archive-verified][data-ok=true]').waitFor()
      await checkPage(page, `archive-verified-${locale}`, assert)

      await page.goto(`${pages.server.url}/staff/archive?who=${encodeURIComponent('Нет такого человека')}&action=report.view`)
      await page.locator('[data-testid=archive-no-matches]').waitFor()
      await checkPage(page, `archive-no-matches-${locale}`, assert)
    }
  })

  test("the report's own archive panel: who viewed, downloaded and decided", async ({ assert }) => {
    const sessionId = await aDayOfWork(pages.server.url)
    const { user, password } = await staffUser('auditor')
    const page = await pages.browser.newPage()
    for (const locale of LOCALES) {
      await page.context().clearCookies()
      await logIn(page, pages.server.url, user, password, locale)
      await page.goto(`${pages.server.url}/staff/sessions/${sessionId}`)
      const panel = page.locator('[data-testid=report-archive]')
      await panel.waitFor()
      await panel.scrollIntoViewIfNeeded()
      await page.waitForLoadState('networkidle')
      assert.isAtLeast(await panel.locator('tbody tr').count(), 3)
      const text = await panel.innerText()
      assert.notMatch(text, /\b(messages|errors)\.[a-z_]+\./, `report-archive-${locale}: untranslated keys`)
      const box = (await panel.boundingBox())!
      assert.isAtMost(box.x + box.width, 1280, `report-archive-${locale}: wider than the page`)
      await page.screenshot({ path: `${SHOTS}/report-archive-${locale}.png` })
    }
  })
})
