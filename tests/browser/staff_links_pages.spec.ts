import { appAndBrowser } from '#tests/helpers/page_checks'
import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import type { Page } from 'playwright-core'
import Group from '#models/group'
import Candidate from '#models/candidate'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { LOCALES } from '#services/locale'

const SHOTS = app.makePath('tmp/screenshots')

/** No untranslated key, nothing wider than 1280 px, every control labelled; then a screenshot. */
async function checkPage(page: Page, name: string, assert: any, expectError: string | null = null) {
  await page.waitForLoadState('networkidle')
  const errorCode = await page.locator('[data-error-code]').first().getAttribute('data-error-code', { timeout: 100 }).catch(() => null)
  assert.equal(errorCode, expectError, `${name}: error code`)
  const problems = await page.evaluate(() => ({
    rawKeys: document.body.innerText.match(/\b(messages|errors)\.[a-z_]+\.[a-z_.]+/g) ?? [],
    overflow: document.documentElement.scrollWidth > window.innerWidth,
    unlabeled: [...document.querySelectorAll('input:not([type=hidden]), select, button')]
      .filter((el) => (el as HTMLElement).offsetParent !== null)
      .filter((el) => !(el.closest('label') || el.getAttribute('aria-label') || (el as HTMLElement).innerText?.trim()))
      .map((el) => el.outerHTML.slice(0, 80)),
  }))
  assert.deepEqual(problems.rawKeys, [], `${name}: untranslated keys`)
  assert.isFalse(problems.overflow, `${name}: wider than 1280 px`)
  assert.deepEqual(problems.unlabeled, [], `${name}: controls without a label`)
  await page.screenshot({ path: `${SHOTS}/${name}.png` })
}

test.group('Entry links and staff users pages at 1280x720 in kk, ru and en (issue 8)', (group) => {
  const pages = appAndBrowser(group)

  test('links page: empty, a form with errors, issued links with copy and revoke', async ({ assert }) => {
    const { user, password } = await staffUser('admin')
    const page = await pages.browser.newPage()
    for (const locale of LOCALES) {
      const { exam } = await examWithCandidate({ title: `Гистология — аралық бақылау (${locale})` })
      const group = await Group.create({ name: `СТ-${locale}-${Date.now() % 10000}` })
      for (const name of ['Әбілқасымова Айгерім Серікқызы', 'Иванов Пётр Сергеевич', 'Nurlanuly Daniyar']) {
        await Candidate.create({ fullName: `${name}`, groupId: group.id, externalId: `${locale}-${name}-${Date.now()}` })
      }
      await page.context().clearCookies()
      await page.goto(`${pages.server.url}/login?lang=${locale}`)
      await page.locator('input[name=email]').fill(user.email)
      await page.locator('input[name=password]').fill(password)
      await page.locator('form[action="/login"] button[type=submit]').click()
      await page.waitForURL('**/staff/results')

      await page.goto(`${pages.server.url}/staff/links?exam=${exam.id}`)
      assert.equal(await page.locator('[data-testid=links-empty]').count(), 1)
      await checkPage(page, `links-empty-${locale}`, assert)

      /* No exam picked and 9999 hours: back to the form, errors beside the fields, the group kept. */
      const form = page.locator('[data-testid=issue-form]')
      await form.locator('select[name=groupId]').selectOption(String(group.id))
      await form.locator('input[name=hours]').fill('9999')
      await form.locator('button[type=submit]').click()
      await page.waitForLoadState('networkidle')
      assert.equal(await page.locator('.field-error[data-field=examIds]').count(), 1)
      assert.equal(await page.locator('.field-error[data-field=hours]').count(), 1)
      assert.equal(await form.locator('select[name=groupId]').inputValue(), String(group.id))
      await checkPage(page, `links-errors-${locale}`, assert, 'VALIDATION_FAILED')

      /* Now right: the group's three links are issued and listed. */
      await form.locator('select[name="examIds[]"]').selectOption(String(exam.id))
      await form.locator('input[name=hours]').fill('72')
      await form.locator('button[type=submit]').click()
      await page.waitForURL('**/staff/links')
      await page.goto(`${pages.server.url}/staff/links?exam=${exam.id}`)
      assert.equal(await page.locator('table[data-testid=issued-links] tbody tr').count(), 3)
      await checkPage(page, `links-issued-${locale}`, assert)

      /* Copy shows that it copied; revoking asks first, then the row says revoked. */
      const firstRow = page.locator('table[data-testid=issued-links] tbody tr').first()
      await firstRow.locator('[data-testid=copy-link]').click()
      await firstRow.locator('[data-testid=copy-link] span[x-show=copied]').waitFor({ state: 'visible' })
      let asked = ''
      page.once('dialog', (dialog) => {
        asked = dialog.message()
        void dialog.accept()
      })
      await firstRow.locator('form[action$="/revoke"] button').click()
      await page.waitForURL('**/staff/links')
      assert.isNotEmpty(asked)
      assert.equal(await page.locator('[data-status=revoked]').count() >= 1, true)
    }
    await page.close()
  }).timeout(180_000)

  test('staff users pages: the list, a form with errors, the one-time password link', async ({ assert }) => {
    const { user, password } = await staffUser('admin')
    const { user: proctor } = await staffUser('proctor')
    await staffUser('auditor')
    const page = await pages.browser.newPage()
    for (const locale of LOCALES) {
      await page.context().clearCookies()
      await page.goto(`${pages.server.url}/login?lang=${locale}`)
      await page.locator('input[name=email]').fill(user.email)
      await page.locator('input[name=password]').fill(password)
      await page.locator('form[action="/login"] button[type=submit]').click()
      await page.waitForURL('**/staff/results')

      await page.goto(`${pages.server.url}/staff/users`)
      assert.isAtLeast(await page.locator('table[data-testid=users] tbody tr').count(), 3)
      await checkPage(page, `users-${locale}`, assert)

      await page.goto(`${pages.server.url}/staff/users/${proctor.id}/edit`)
      assert.equal(await page.locator('select[name=role]').inputValue(), 'proctor')
      await checkPage(page, `users-edit-${locale}`, assert)

      await page.goto(`${pages.server.url}/staff/users/new`)
      const form = page.locator('[data-testid=user-form]')
      await form.locator('input[name=fullName]').fill('Аб')
      await form.locator('input[name=email]').fill('not-an-email')
      await form.locator('button[type=submit]').click()
      await page.waitForLoadState('networkidle')
      assert.equal(await page.locator('.field-error[data-field=fullName]').count(), 1)
      assert.equal(await page.locator('.field-error[data-field=email]').count(), 1)
      assert.equal(await form.locator('input[name=email]').inputValue(), 'not-an-email')
      await checkPage(page, `users-form-errors-${locale}`, assert, 'VALIDATION_FAILED')

      await form.locator('input[name=fullName]').fill(`Жаңа Проктор ${locale}`)
      await form.locator('input[name=email]').fill(`new.${locale}.${Date.now()}@test.kz`)
      await form.locator('button[type=submit]').click()
      await page.locator('[data-testid=password-link]').waitFor()
      assert.include(await page.locator('[data-testid=password-link]').inputValue(), '/staff/password/')
      await checkPage(page, `users-link-${locale}`, assert)
    }
    await page.close()
  }).timeout(180_000)
})
