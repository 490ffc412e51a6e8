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
    return this.page.locator(`.step[data-step="${name}"]`)
  }

  /** S2: runs the system check; resolves once every item has an answer. */
  async runChecks() {
    await this.page.locator('[data-action="run-checks"]').click()
    await this.page.waitForFunction(() => document.querySelectorAll('[data-check].busy').length === 0 && !(document.querySelector('[data-action="run-checks"]') as HTMLButtonElement).disabled, undefined, { timeout: 60_000 })
  }

  checkRow(item: string) {
    return this.page.locator(`[data-check="${item}"]`)
  }

  async passChecks() {
    await this.runChecks()
    const failed = await this.page.locator('[data-check].fail').evaluateAll((rows) =>
      rows.map((row) => `${(row as HTMLElement).dataset.check}: ${row.querySelector('[data-fix]:not([hidden])')?.textContent ?? ''}`)
    )
    if (failed.length) throw new Error(`the system check failed: ${failed.join('; ')}`)
    await this.page.locator('[data-action="checks-continue"]').click({ timeout: 60_000 })
  }

  async acceptRules() {
    await this.step('rules').waitFor({ state: 'visible' })
    await this.page.locator('[data-role="consent-box"]').check()
    await this.page.locator('[data-action="consent"]').click()
  }

  /** S4: snaps and sends a photo; returns the refusal shown, or null once accepted. */
  async sendPhoto(kind: 'face' | 'document') {
    const step = this.step(kind)
    await step.waitFor({ state: 'visible' })
    await step.locator('[data-action="snap"]').click()
    await step.locator('[data-action="send"]').click()
    const next = kind === 'face' ? this.step('document').or(this.step('ready')) : this.step('ready')
    const refusal = step.locator('[data-role="error"].alert-error:not([hidden])')
    await next.or(refusal).first().waitFor({ state: 'visible', timeout: 60_000 })
    return (await refusal.isVisible()) ? await refusal.textContent() : null
  }

  /** Everything before the exam: checks, rules, face and document photos. */
  async getReady() {
    await this.passChecks()
    await this.acceptRules()
    const face = await this.sendPhoto('face')
    if (face) throw new Error(`the face photo was refused: ${face}`)
    await this.sendPhoto('document')
    await this.step('ready').waitFor({ state: 'visible' })
  }

  async start() {
    await this.page.locator('[data-action="start"]').click()
    await this.page.locator('[data-view="exam"]').waitFor({ state: 'visible', timeout: 30_000 })
    await this.page.waitForFunction(() => Number(document.body.dataset.attempt) > 0, undefined, { timeout: 30_000 })
  }

  attempt() {
    return this.page.evaluate(() => Number(document.body.dataset.attempt))
  }

  async finish() {
    await this.page.locator('[data-action="finish"]').click()
    await this.step('done').waitFor({ state: 'visible', timeout: 120_000 })
  }

  violationsShown() {
    return this.page.locator('[data-role="violations"]').textContent().then(Number)
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
    await this.cdp.send('Network.enable')
    await this.cdp.send('Network.emulateNetworkConditions', {
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
