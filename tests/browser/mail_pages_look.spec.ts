import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import OutboxMessage from '#models/outbox_message'
import { staffUser } from '#tests/helpers/fixtures'
import { checkPage, logIn, appAndBrowser } from '#tests/helpers/page_checks'
import { endedAfter, studentInExam } from '#tests/helpers/report'
import { startSmtpServer } from '#tests/helpers/smtp'
import { LOCALES } from '#services/locale'

test.group('E-mail page at 1280x720 in kk, ru and en (issue 11, O2)', (group) => {
  const pages = appAndBrowser(group)

  test('an admin sets the SMTP server with the keyboard, sends a test e-mail and reads the outbox; the empty page and the short report\'s form look finished', async ({ assert }) => {
    await db.from('outbox').delete()
    await db.from('mail_settings').delete()
    const smtp = await startSmtpServer({ login: { user: 'proctor-mail', pass: 'mail pass 1' } })
    try {
      const { user, password } = await staffUser('admin')
      const page = await pages.browser.newPage()
      for (const locale of LOCALES) {
        await page.context().clearCookies()
        await logIn(page, pages.server.url, user, password, locale)
        await page.goto(`${pages.server.url}/staff/mail`)
        await checkPage(page, `mail-empty-${locale}`, assert)
      }

      /* Filled in and saved with the keyboard only (en), then a test e-mail. */
      await page.context().clearCookies()
      await logIn(page, pages.server.url, user, password, 'en')
      await page.goto(`${pages.server.url}/staff/mail`)
      await page.locator('input[name=host]').focus()
      await page.keyboard.type('127.0.0.1')
      await page.keyboard.press('Tab')
      await page.keyboard.press('ControlOrMeta+a')
      await page.keyboard.type(String(smtp.port))
      await page.keyboard.press('Tab')
      await page.keyboard.press('ArrowUp')
      await page.keyboard.press('ArrowUp')
      await page.keyboard.press('Tab')
      await page.keyboard.type('proctor-mail')
      await page.keyboard.press('Tab')
      await page.keyboard.type('mail pass 1')
      await page.keyboard.press('Tab')
      await page.keyboard.type('proctoring@university.kz')
      await page.keyboard.press('Tab')
      await page.keyboard.type('Прокторинг ҚазҰУ')
      const [saved] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/staff/mail') && r.request().method() === 'POST'),
        page.keyboard.press('Enter'),
      ])
      assert.equal(saved.status(), 302)
      await page.locator('[data-testid=mail-notice]').waitFor()
      assert.equal(await page.locator('input[name=password]').inputValue(), '')
      await page.locator('[data-testid=mail-test] input[name=to]').fill('dean@university.kz')
      await page.locator('[data-testid=mail-test] button[type=submit]').click()
      await page.waitForURL('**/staff/mail#title-test')
      assert.equal(await page.locator('[data-testid=mail-test-outcome]').getAttribute('data-status'), 'sent')
      assert.lengthOf(smtp.received, 1)

      /* A log with each status: a retry due, a given-up one with the server's words. */
      await OutboxMessage.create({
        toAddress: 'registrar@university.kz', subject: 'Қысқа есеп: Әлібек Қанатұлы, Анатомия: аралық бақылау', kind: 'short_report', language: 'kk', bodyText: '-',
        attachmentPath: null, attachmentName: null, status: 'failed', attempts: 2, maxAttempts: 6, lastError: 'MAIL_REFUSED: 451 Mailbox busy, try again later',
        nextTryAt: DateTime.now().plus({ minutes: 2 }).toMillis(), leasedUntil: null, sentAt: null, createdBy: user.id,
      })
      await OutboxMessage.create({
        toAddress: 'old-address@university.kz', subject: 'Proctoring: test e-mail', kind: 'test', language: 'en', bodyText: '-',
        attachmentPath: null, attachmentName: null, status: 'gave_up', attempts: 6, maxAttempts: 6, lastError: 'MAIL_CONNECTION_FAILED: connect ECONNREFUSED 10.0.0.25:587',
        nextTryAt: null, leasedUntil: null, sentAt: null, createdBy: user.id,
      })
      for (const locale of LOCALES) {
        await page.context().clearCookies()
        await logIn(page, pages.server.url, user, password, locale)
        await page.goto(`${pages.server.url}/staff/mail`)
        assert.equal(await page.locator('[data-testid=outbox] tbody tr').count(), 3)
        await checkPage(page, `mail-outbox-${locale}`, assert)
      }

      /* The short report's "Send by e-mail", now that e-mail is set. */
      const { session, origin } = await studentInExam({}, pages.server.url)
      await endedAfter(session, origin, 600)
      await page.goto(`${pages.server.url}/staff/sessions/${session.publicId}/short-report`)
      assert.equal(await page.locator('[data-testid=report-mail]').count(), 1)
      await checkPage(page, 'short-report-email-en', assert)
    } finally {
      await smtp.close()
    }
  })

  test('the login page links to "Forgot your password?", whose page answers the same for any address, with the keyboard', async ({ assert }) => {
    const page = await pages.browser.newPage()
    for (const locale of LOCALES) {
      await page.context().clearCookies()
      await page.goto(`${pages.server.url}/login?lang=${locale}`)
      await page.locator('a[href="/login/forgot"]').click()
      await page.waitForURL('**/login/forgot')
      await checkPage(page, `forgot-password-${locale}`, assert)
      await page.locator('input[name=email]').focus()
      await page.keyboard.type(`nobody-${locale}@university.kz`)
      await page.keyboard.press('Enter')
      await page.locator('[data-testid=reset-sent]').waitFor()
      await checkPage(page, `forgot-password-sent-${locale}`, assert)
    }
  })
})
