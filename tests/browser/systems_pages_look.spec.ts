import { randomBytes, randomUUID } from 'node:crypto'
import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { checkPage, logIn, appAndBrowser } from '#tests/helpers/page_checks'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { LOCALES } from '#services/locale'
import System from '#models/system'
import WebhookDelivery from '#models/webhook_delivery'
import Job from '#models/job'
import { secretOf } from '#actions/systems/secrets'
import { signSystemPayload } from '#actions/systems/system_link'

test.group('Other systems: the system page, its new secret and a refused link at 1280x720 in kk, ru and en', (group) => {
  const pages = appAndBrowser(group)

  test('a system with no secret and no deliveries, its secret shown once, the delivery log, a replayed link', async ({ assert }) => {
    const { user, password } = await staffUser('admin')
    const { exam } = await examWithCandidate()
    const page = await pages.browser.newPage()
    for (const locale of LOCALES) {
      await page.context().clearCookies()
      await logIn(page, pages.server.url, user, password, locale)
      const system = await System.create({ name: `Университет порталы ${locale}`, kind: 'link', active: true, webhookUrl: 'https://portal.university.kz/hooks/proctoring/events' } as any)
      const edit = `${pages.server.url}/staff/directory/systems/${system.id}/edit`

      /* No secret yet, nothing sent yet. */
      await page.goto(edit)
      assert.equal(await page.locator('[data-testid=deliveries-empty]').count(), 1)
      await checkPage(page, `system-empty-${locale}`, assert)

      /* The admin makes the link secret with the keyboard: it is shown once. */
      await page.locator('[data-secret=link] button[type=submit]').focus()
      await page.keyboard.press('Enter')
      await page.waitForURL(`**/staff/directory/systems/${system.id}/secrets/link`)
      const secret = await page.locator('[data-testid=new-secret]').inputValue()
      await system.refresh()
      assert.equal(secretOf(system, 'link'), secret)
      await checkPage(page, `system-secret-${locale}`, assert)

      /* A delivery log with every kind of line; regenerating asks first. */
      const deliveryId = randomUUID()
      const givenUp = randomUUID()
      const now = DateTime.now()
      const lines = [
        { attempt: 1, statusCode: 500, error: 'HTTP 500', nextTryAt: now.plus({ seconds: 30 }), deliveredAt: null },
        { attempt: 2, statusCode: null, error: 'timeout', nextTryAt: now.plus({ minutes: 1 }), deliveredAt: null },
        { attempt: 3, statusCode: 200, error: null, nextTryAt: null, deliveredAt: now },
        { attempt: 8, statusCode: null, error: 'ECONNREFUSED', nextTryAt: null, deliveredAt: null },
      ]
      for (const line of lines) {
        await WebhookDelivery.create({ systemId: system.id, deliveryId: line.attempt === 8 ? givenUp : deliveryId, event: line.attempt === 8 ? 'decision.set' : 'session.finished', sessionPublicId: 'b2a1c9de-1f0e-4f7a-9a53-1c2d3e4f5a6b', ...line })
      }
      /* The last one was given up: its job failed, so it can be sent again. */
      await Job.create({ type: 'deliver_webhook', payload: { deliveryId: givenUp, systemId: system.id, event: 'decision.set', sessionPublicId: null, body: '{}' }, uniqueKey: null, status: 'failed', attempts: 8, maxAttempts: 8, runAt: Date.now(), progress: 0 })
      await page.goto(edit)
      assert.equal(await page.locator('[data-testid=webhook-deliveries] tbody tr').count(), 4)
      assert.equal(await page.locator('[data-testid=retry-delivery]').count(), 1)
      await page.locator('[data-secret=link] summary').focus()
      await page.keyboard.press('Enter')
      assert.isTrue(await page.locator('[data-secret=link] details').evaluate((el) => (el as HTMLDetailsElement).open))
      await checkPage(page, `system-deliveries-${locale}`, assert)

      /* A student opens a portal's link twice: the second time is refused, in their language. */
      const payload = Buffer.from(JSON.stringify({ exam: exam.id, id: `st-${locale}`, name: 'Айгерим Сапарова', exp: Math.floor(Date.now() / 1000) + 600, nonce: randomBytes(16).toString('base64url') })).toString('base64url')
      const link = `${pages.server.url}/x/${system.id}/${payload}.${signSystemPayload(secret, payload)}`
      const student = await pages.browser.newPage()
      await student.setExtraHTTPHeaders({ 'accept-language': locale })
      await student.goto(link)
      assert.match(student.url(), /\/s\//)
      await student.goto(link)
      assert.equal(await student.locator('[data-error-code=SYSTEM_LINK_REPLAYED]').count(), 1)
      await checkPage(student, `system-link-replayed-${locale}`, assert)
      await student.close()
    }
  }).timeout(180_000)
})
