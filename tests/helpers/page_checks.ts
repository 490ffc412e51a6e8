import { mkdir } from 'node:fs/promises'
import app from '@adonisjs/core/services/app'
import type { BrowserContext, Page } from 'playwright-core'
import { AppServer } from '#tests/helpers/app_server'
import { launchBrowser } from '#tests/helpers/browser'

export const SHOTS = app.makePath('tmp/screenshots')

/** No untranslated key, nothing wider than 1280 px, every control labelled; then a screenshot (and a full-page one). */
export async function checkPage(page: Page, name: string, assert: any, options: { streaming?: boolean } = {}) {
  await settled(page, options.streaming)
  const problems = await page.evaluate(() => ({
    rawKeys: document.body.innerText.match(/\b(messages|errors)\.[a-z_]+\.[a-z_.]+/g) ?? [],
    overflow: document.documentElement.scrollWidth > window.innerWidth,
    unlabeled: [...document.querySelectorAll('input:not([type=hidden]), select, button, textarea')]
      .filter((el) => (el as HTMLElement).offsetParent !== null)
      .filter((el) => !(el.closest('label') || el.getAttribute('aria-label') || (el as HTMLElement).innerText?.trim()))
      .map((el) => el.outerHTML.slice(0, 80)),
  }))
  assert.deepEqual(problems.rawKeys, [], `${name}: untranslated keys`)
  assert.isFalse(problems.overflow, `${name}: wider than 1280 px`)
  assert.deepEqual(problems.unlabeled, [], `${name}: controls without a label`)
  await page.screenshot({ path: `${SHOTS}/${name}.png` })
  await page.screenshot({ path: `${SHOTS}/${name}-full.png`, fullPage: true })
}

/**
 * The page has loaded and its requests are done. A page that keeps a live event stream open
 * (a student in the exam, the phone page, the proctor's live page: issue 12) is never
 * network-idle: its load and a short pause are enough there.
 */
export async function settled(page: Page, streaming?: boolean) {
  await page.waitForLoadState('load')
  const live = streaming ?? (await page.evaluate(() => document.body.dataset.live !== undefined || document.querySelector('[data-role="live-root"]') !== null))
  if (live) await page.waitForTimeout(1000)
  else await page.waitForLoadState('networkidle')
}

/** Signs a staff user in through the login form, in `locale`, and waits for the results page. */
export async function logIn(page: Page, baseUrl: string, user: { email: string }, password: string, locale: string) {
  await page.goto(`${baseUrl}/login?lang=${locale}`)
  await page.locator('input[name=email]').fill(user.email)
  await page.locator('input[name=password]').fill(password)
  await page.locator('form[action="/login"] button[type=submit]').click()
  await page.waitForURL('**/staff/results')
}

/**
 * A running app and a browser for a group of page tests, with the screenshots folder made;
 * both closed after the group. Read them in the tests (`pages.server.url`), not at definition.
 */
export function appAndBrowser(group: { setup(handler: () => Promise<() => Promise<void>>): unknown }) {
  const pages = {} as { server: AppServer; browser: BrowserContext }
  group.setup(async () => {
    await mkdir(SHOTS, { recursive: true })
    pages.server = await AppServer.start()
    pages.browser = await launchBrowser()
    return async () => {
      await pages.browser.close()
      await pages.server.stop()
    }
  })
  return pages
}
