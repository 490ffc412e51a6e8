import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import Exam from '#models/exam'
import { checkPage, logIn, appAndBrowser } from '#tests/helpers/page_checks'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { LOCALES } from '#services/locale'


test.group('Exams pages at 1280x720 in kk, ru and en', (group) => {
  const pages = appAndBrowser(group)

  test('exams list (empty and filled), the form, its cost preview and its errors', async ({ assert }) => {
    /* The empty list: exams other tests made are put in the archive, which the list hides. */
    const hidden = (await Exam.query().where('archived', false)).map((exam) => exam.id)
    await Exam.query().whereIn('id', hidden).update({ archived: true })
    const { user, password } = await staffUser('admin')
    const page = await pages.browser.newPage()
    for (const [index, locale] of LOCALES.entries()) {
      await page.context().clearCookies()
      await logIn(page, pages.server.url, user, password, locale)
      if (index === 0) {
        for (const empty of LOCALES) {
          await page.goto(`${pages.server.url}/staff/exams?lang=${empty}`)
          assert.equal(await page.locator('[data-testid=exams-empty]').count(), 1)
          await checkPage(page, `exams-empty-${empty}`, assert)
        }
        await page.goto(`${pages.server.url}/staff/exams?lang=${locale}`)
      }

      /* A new exam through the form; the preview follows the weight and the duration. */
      await page.goto(`${pages.server.url}/staff/exams/new`)
      await page.locator('input[name=titleKk]').fill(`Гистология ${locale} — аралық бақылау`)
      await page.locator('input[name=titleRu]').fill(`Гистология ${locale} — промежуточный контроль`)
      await page.locator('input[name=titleEn]').fill(`Histology ${locale} — midterm`)
      await page.locator('input[name=durationMinutes]').fill('50')
      await page.locator('input[name="weights[tab_hidden]"]').fill('2')
      const cost = await page.locator('output[data-cost-for=tab_hidden]').innerText()
      assert.include(cost, '4.0')
      await page.locator('input[name=examUrl]').fill('https://lms.university.kz/mod/quiz/view.php?id=12')
      await page.locator('input[name=violationLimit]').fill('5')
      await page.locator('input[name=opensAt]').fill('2026-12-01T09:00')
      await page.locator('input[name=closesAt]').fill('2026-12-01T18:00')
      await checkPage(page, `exams-form-${locale}`, assert)
      await page.locator('.exams-form-actions button[type=submit]').click()
      await page.waitForURL('**/staff/exams')
      assert.include(await page.locator('[data-testid=exams]').innerText(), locale === 'en' ? `Histology ${locale}` : 'Гистология')
      await checkPage(page, `exams-list-${locale}`, assert)

      /* Deleting asks first; this exam has no sessions yet, so it may go. */
      await page.locator('[data-testid=exams] tr[data-exam] a[href$="/delete"]').first().click()
      await page.waitForURL('**/staff/exams/*/delete')
      assert.equal(await page.locator('form[action$="/delete"] button.btn-danger').count(), 1)
      await checkPage(page, `exams-delete-${locale}`, assert)

      /* Bad input: the form comes back with each error next to its field and what was typed. */
      await page.goto(`${pages.server.url}/staff/exams/new`)
      await page.locator('input[name=examUrl]').fill('ftp://files.university.kz/quiz')
      await page.locator('input[name=durationMinutes]').fill('0')
      await page.locator('input[name=opensAt]').fill('2026-12-01T09:00')
      await page.locator('.exams-form-actions button[type=submit]').click()
      await page.waitForLoadState('networkidle')
      assert.equal(await page.locator('[data-error-for=titleKk]').count(), 1)
      assert.equal(await page.locator('[data-error-for=examUrl]').count(), 1)
      assert.equal(await page.locator('input[name=examUrl]').inputValue(), 'ftp://files.university.kz/quiz')
      await checkPage(page, `exams-form-errors-${locale}`, assert)
    }
    await page.close()
    await Exam.query().whereIn('id', hidden).update({ archived: false })
  }).timeout(120_000)

  test('a student whose exam is not open yet, or closed, is told so in their language', async ({ assert }) => {
    const notYet = await examWithCandidate({ titleKk: 'Анатомия', opensAt: DateTime.now().plus({ days: 1 }) } as Partial<Exam>)
    const over = await examWithCandidate({ titleKk: 'Анатомия', closesAt: DateTime.now().minus({ hours: 1 }) } as Partial<Exam>)
    const page = await pages.browser.newPage()
    for (const locale of LOCALES) {
      await page.goto(`${pages.server.url}${notYet.link}?lang=${locale}`)
      assert.equal(await page.locator('[data-error-code]').getAttribute('data-error-code'), 'EXAM_NOT_OPEN_YET')
      assert.include(await page.locator('main').innerText(), notYet.exam.opensAt!.toFormat('dd.MM.yyyy HH:mm'))
      await checkPage(page, `student-exam-not-open-${locale}`, assert)
      await page.goto(`${pages.server.url}${over.link}?lang=${locale}`)
      assert.equal(await page.locator('[data-error-code]').getAttribute('data-error-code'), 'EXAM_CLOSED')
      await checkPage(page, `student-exam-closed-${locale}`, assert)
    }
    await page.close()
  })
})
