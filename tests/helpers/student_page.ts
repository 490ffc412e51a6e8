import type { BrowserContext, CDPSession, Page } from 'playwright-core'

export type LedgerEntry = { attempt: number; stream: string; seq: number; sha256: string; size: number }

/** Drives the student's exam page the way a student would: buttons, in order. */
export class StudentPage {
  private cdp?: CDPSession

  constructor(readonly page: Page) {
    page.on('dialog', (dialog) => void dialog.accept())
  }

  static async open(context: BrowserContext, url: string) {
    const page = await context.newPage()
    await page.goto(url)
    return new StudentPage(page)
  }

  step(name: string) {
    return this.page.locator(`[data-step="${name}"]`)
  }

  async allowDevicesAndSendPhoto() {
    await this.page.getByRole('button', { name: /allow|разрешить|рұқсат/i }).click()
    await this.step('photo').waitFor({ state: 'visible', timeout: 30_000 })
    await this.page.locator('[data-action="snap"]').click()
    await this.page.locator('[data-action="send-photo"]').click()
    await this.step('ready').waitFor({ state: 'visible', timeout: 30_000 })
  }

  async start() {
    await this.page.locator('[data-action="start"]').click()
    await this.step('recording').waitFor({ state: 'visible', timeout: 30_000 })
  }

  async finish() {
    await this.page.locator('[data-action="finish"]').click()
    await this.step('done').waitFor({ state: 'visible', timeout: 120_000 })
  }

  /** What the page's recorder produced: every chunk with its size and SHA-256. */
  ledger(): Promise<LedgerEntry[]> {
    return this.page.evaluate(() => (window as any).proctor.uploader.ledger)
  }

  pendingCount(): Promise<number> {
    return this.page.evaluate(() => (window as any).proctor.uploader.pendingCount)
  }

  /** The chunk being uploaded at this moment, or null. */
  sending(): Promise<LedgerEntry | null> {
    return this.page.evaluate(() => (window as any).proctor.uploader.sending)
  }

  /** Slows the page's uploads to `bytesPerSecond` (Chromium's network emulation); 0 lifts it. */
  async throttleUploads(bytesPerSecond: number) {
    this.cdp ??= await this.page.context().newCDPSession(this.page)
    const cdp = this.cdp
    await cdp.send('Network.enable')
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: bytesPerSecond || -1,
    })
  }

  uploadState() {
    return this.page.locator('[data-role="upload-state"]').textContent()
  }
}
