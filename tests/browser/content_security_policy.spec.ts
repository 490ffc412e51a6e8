import { test } from '@japa/runner'
import type { BrowserContext, Page, Request } from 'playwright-core'
import Candidate from '#models/candidate'
import { AppServer } from '#tests/helpers/app_server'
import { launchBrowser } from '#tests/helpers/browser'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { LmsServer } from '#tests/helpers/lms_server'
import { faceCameraVideo } from '#tests/helpers/media'
import { StudentPage } from '#tests/helpers/student_page'
import { sleep, waitFor } from '#tests/helpers/wait'

/**
 * Everything the Content-Security-Policy refuses in a browser context, from two sources:
 * Chromium's console ("Refused to ...") and the page's own securitypolicyviolation events
 * (the init script is injected by the browser, outside the page's policy). Every document
 * the context loads from the appliance must carry the strict policy itself.
 */
async function watchPolicy(context: BrowserContext, applianceUrl: string) {
  const refused: string[] = []
  const unprotected: string[] = []
  await context.exposeBinding('__cspViolation', (_source, text: string) => void refused.push(text))
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      ;(window as any).__cspViolation(`${event.violatedDirective} ${event.blockedURI} (${event.documentURI})`)
    })
  })
  const watchPage = (page: Page) => {
    page.on('console', (message) => {
      if (/Refused to|Content.Security.Policy/i.test(message.text())) refused.push(message.text())
    })
    page.on('response', (response) => {
      const request = response.request()
      if (request.resourceType() !== 'document' || !response.url().startsWith(applianceUrl)) return
      if (!/script-src 'self'/.test(response.headers()['content-security-policy'] ?? '')) unprotected.push(response.url())
    })
  }
  context.pages().forEach(watchPage)
  context.on('page', watchPage)
  return { refused, unprotected }
}

test.group('Pages under their Content-Security-Policy', (group) => {
  let server: AppServer

  group.setup(async () => {
    server = await AppServer.start()
    return () => server.stop()
  })

  test('the staff pages work under the policy with no violation', async ({ assert }) => {
    const browser = await launchBrowser()
    const policy = await watchPolicy(browser, server.url)
    try {
      const { user, password } = await staffUser('admin')
      const { link, candidate } = await examWithCandidate()
      const name = `Политика Проверка ${candidate.id}`
      await Candidate.query().where('id', candidate.id).update({ fullName: name })
      await fetch(`${server.url}${link}`)
      const page = await browser.newPage()

      /* The watcher hears what the policy refuses (an inline script, as an injection would add). */
      await page.goto(`${server.url}/login?lang=en`)
      await page.evaluate(() => {
        const script = document.createElement('script')
        script.textContent = 'window.injected = true'
        document.head.append(script)
      })
      await waitFor('the refused inline script to be heard', async () => policy.refused.length > 0, 10_000)
      assert.isUndefined(await page.evaluate(() => (window as any).injected))
      policy.refused.length = 0

      await page.locator('input[name=email]').fill(user.email)
      await page.locator('input[name=password]').fill(password)
      await page.locator('form[action="/login"] button[type=submit]').click()
      await page.waitForURL('**/staff/results')

      /* htmx (no eval) filters the list as one types. */
      await page.locator('input[name=q]').fill(name)
      await page.waitForURL(/q=/)
      await page.locator('#results-table tr[data-session]').first().waitFor()
      assert.deepEqual(await page.locator('#results-table tr[data-session] td.candidate-cell').allTextContents(), [name])

      await page.locator('#results-table tr[data-session] a').click()
      await page.waitForURL('**/staff/sessions/*')
      await page.waitForLoadState('networkidle')

      /* The short report's print view (its print button is Alpine) and the statistics' server-drawn charts. */
      await page.locator('a[href$="/short-report"]').click()
      await page.waitForURL('**/short-report')
      await page.waitForLoadState('networkidle')
      await page.goto(`${server.url}/staff/statistics`)
      await page.locator('[data-testid=chart-days], [data-testid=statistics-empty]').first().waitFor()

      /* Alpine (CSP build): issuing a link, then its Copy button says it copied. */
      await page.goto(`${server.url}/staff/links`)
      await page.locator('select[name="candidateIds[]"]').selectOption(String(candidate.id))
      await page.locator('select[name="examIds[]"] option').first().click()
      await page.locator('[data-testid=issue-form] button[type=submit]').click()
      await page.waitForLoadState('networkidle')
      page.on('dialog', (dialog) => void dialog.dismiss())
      const copy = page.locator('[data-testid="copy-link"]').first()
      await copy.click()
      await copy.locator('[x-show=copied]').waitFor({ state: 'visible' })
      assert.isTrue(await copy.locator('[x-show=idle]').isHidden())

      await page.goto(`${server.url}/staff/no-such-page`)
      await page.waitForLoadState('networkidle')
      await page.close()
      assert.deepEqual(policy.refused, [])
      assert.deepEqual(policy.unprotected, [])
    } finally {
      await browser.close()
    }
  }).timeout(120_000)

  test('the student exam page and the phone page work under the policy with no violation', async ({ assert }) => {
    const browser = await launchBrowser({ videoFile: await faceCameraVideo() })
    const policy = await watchPolicy(browser, server.url)
    const lms = await LmsServer.start(server.url)
    try {
      const { link } = await examWithCandidate({ examUrl: lms.url, requiresPhone: true })
      const student = await StudentPage.open(browser, `${server.url}${link}?lang=en`)
      /* Requests in flight, but the live event stream: it stays open by design (issue 12). */
      const pending = new Set<Request>()
      student.page.on('request', (request) => void (!request.url().endsWith('/live/events') && pending.add(request)))
      student.page.on('requestfinished', (request) => void pending.delete(request))
      student.page.on('requestfailed', (request) => void pending.delete(request))
      await student.getReady()
      await student.start()
      /* The quiz, from the LMS's origin, shows in its frame (with the agent from /agent.js). */
      await student.page.frameLocator('[data-role="exam-frame"]').locator('#question').waitFor()
      /*
       * Chunks, heartbeats and events all finish: the page reads every no-store answer to its
       * end (Chromium otherwise leaves the request open and its connection taken).
       */
      await waitFor('every request but the live event stream to finish (500 ms with none in flight)', async () => {
        if (pending.size > 0) return false
        await sleep(500)
        return pending.size === 0
      }, 30_000)
      const phone = await browser.newPage()
      await phone.goto((await student.page.locator('[data-testid="phone-qr"]').getAttribute('data-phone-url'))!)
      await phone.locator('[data-action="phone-start"]').click()
      await phone.waitForFunction(() => document.body.dataset.phoneState === 'recording', undefined, { timeout: 30_000 })
      await phone.close()
      await student.page.close()
      assert.deepEqual(policy.refused, [])
      assert.deepEqual(policy.unprotected, [])
    } finally {
      await browser.close()
      await lms.stop()
    }
  }).timeout(180_000)
})
