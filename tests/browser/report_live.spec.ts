import { test } from '@japa/runner'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { DateTime } from 'luxon'
import app from '@adonisjs/core/services/app'
import type { BrowserContext, Page } from 'playwright-core'
import Attempt from '#models/attempt'
import ProctoringEvent from '#models/proctoring_event'
import ProctoringSession from '#models/proctoring_session'
import { AppServer } from '#tests/helpers/app_server'
import { launchBrowser } from '#tests/helpers/browser'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { openStudentLink, studentApi } from '#tests/helpers/http'
import { checkPage, logIn, SHOTS } from '#tests/helpers/page_checks'
import { LOCALES } from '#services/locale'

const run = promisify(execFile)
const MEDIA = app.makePath('tmp/media')
const SAMPLE3 = app.makePath('node_modules/@vladmandic/face-api/demo/sample3.jpg')

async function picture(name: string, filter: string) {
  await mkdir(MEDIA, { recursive: true })
  const out = join(MEDIA, name)
  if (!existsSync(out)) await run('ffmpeg', ['-v', 'error', '-y', '-i', SAMPLE3, '-vf', filter, '-frames:v', '1', '-q:v', '2', out])
  return readFile(out)
}

/** A student in the exam (begun 12 minutes ago), with face and ID photos, driven through the student API. */
async function studentInExam(baseUrl: string) {
  const { link } = await examWithCandidate({ title: 'Гистология — аралық бақылау', passThreshold: 70 })
  const student = await openStudentLink(baseUrl, link)
  const api = studentApi(baseUrl, student)
  const send = (path: string, body: BodyInit, type: string) =>
    fetch(`${baseUrl}/api/student/sessions/${student.sessionId}${path}`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${student.token}`, 'content-type': type },
      body,
    })
  const photos = {
    face: await picture('face-640x480.jpg', 'crop=720:540:336:165,scale=640:480'),
    document: await picture('id-card-640x400.jpg', 'crop=720:540:336:165,scale=240:180,pad=640:400:30:110:color=0xe8eef5'),
  }
  for (const [kind, bytes] of Object.entries(photos)) {
    const answer = await send(`/identity/${kind}`, new Uint8Array(bytes), 'image/jpeg')
    if (answer.status >= 300) throw new Error(`${kind} photo refused: ${answer.status}`)
  }
  if ((await api.startAttempt()).status !== 201) throw new Error('the attempt did not start')
  const session = await ProctoringSession.findByOrFail('publicId', student.sessionId)
  const origin = DateTime.now().minus({ minutes: 12 }).startOf('second')
  session.startedAt = origin
  /* Heard from just now: still in the exam (else the scheduled sweep closes it as abandoned). */
  session.lastSeenAt = DateTime.now()
  await session.save()
  await Attempt.query().where('sessionId', session.id).update({ startedAt: origin.toSQL({ includeOffset: false }) })
  const event = (body: Record<string, unknown>) => send('/events', JSON.stringify(body), 'application/json')
  return { session, origin, api, event }
}

/** What the analysis found so far: a sentence heard in three stretches, a minute without a face. */
async function analysisFindings(session: ProctoringSession, origin: DateTime) {
  const attempt = await Attempt.query().where('sessionId', session.id).firstOrFail()
  for (const [type, from, to] of [
    ['voice_detected', 95.5, 97],
    ['voice_detected', 98, 100.5],
    ['voice_detected', 101.5, 104],
    ['no_face', 250, 310],
  ] as const) {
    await ProctoringEvent.create({
      sessionId: session.id, attemptId: attempt.id, type, source: 'analysis', isViolation: true,
      startedAt: origin.plus({ milliseconds: from * 1000 }), endedAt: origin.plus({ milliseconds: to * 1000 }),
      offsetStart: from, offsetEnd: to,
    })
  }
}

const text = (page: Page, selector: string) => page.locator(selector).first().innerText()

test.group('Report live (issue 9, P3)', (group) => {
  let server: AppServer
  let browser: BrowserContext
  let proctor: { user: { email: string }; password: string }

  group.setup(async () => {
    await mkdir(SHOTS, { recursive: true })
    server = await AppServer.start()
    browser = await launchBrowser()
    proctor = await staffUser('proctor')
    return async () => {
      await browser.close()
      await server.stop()
    }
  })

  test('the log, status and score update while the student is still in the exam', async ({ assert }) => {
    const { session, api, event } = await studentInExam(server.url)
    const page = await browser.newPage()
    await logIn(page, server.url, proctor.user, proctor.password, 'en')
    await page.goto(`${server.url}/staff/sessions/${session.publicId}`)
    assert.equal(await text(page, '[data-testid=status]'), 'In progress')
    assert.equal(await text(page, '[data-testid=score]'), 'Not computed yet')
    assert.equal(await page.locator('[data-violation]').count(), 0)
    /* Marks the page: a reload would lose it. */
    await page.evaluate(() => ((window as any).notReloaded = true))

    /* The student looks away from the exam for 8 s; the browser reports it when they come back. */
    assert.equal((await event({ clientEventId: 'live-focus-1', type: 'focus_lost', agoMs: 20_000, durationMs: 8000, attempt: 1 })).status, 201)
    const row = page.locator('[data-violation][data-type=focus_lost]')
    await row.waitFor({ timeout: 10_000 })
    assert.include(await row.innerText(), 'Focus lost')
    assert.include(await row.innerText(), '8 s')
    await page.waitForFunction(() => /\d %$/.test(document.querySelector('[data-testid=score]')?.textContent?.trim() ?? ''), null, { timeout: 10_000 })
    assert.match(await text(page, '[data-testid=credibility]'), /^\d+(\.\d)? %$/)
    assert.equal(await page.locator('[data-testid=breakdown] tr[data-kind=focus_lost]').count(), 1)
    assert.oneOf(await text(page, '[data-testid=verdict]'), ['Passed', 'Not passed'])

    /* A second finding: a new row, in order, without a reload. */
    assert.equal((await event({ clientEventId: 'live-paste-1', type: 'paste', agoMs: 5000, attempt: 1 })).status, 201)
    await page.locator('[data-violation][data-type=paste]').waitFor({ timeout: 10_000 })
    assert.equal(await page.locator('[data-violation]').count(), 2)

    /* The student finishes: the badge follows. */
    assert.equal((await api.finish(1, {})).status, 200)
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent?.trim() !== 'In progress', null, { timeout: 10_000 })
    assert.notEqual(await text(page, '[data-testid=status]'), 'In progress')
    assert.isTrue(await page.evaluate(() => (window as any).notReloaded === true), 'the page was not reloaded')
    await page.close()
  }).timeout(90_000)

  test('screenshots of a report during and after an exam in kk, ru and en (1280x720)', async ({ assert }) => {
    /* Signed in once for the whole browser (unless the test before did it already). */
    const first = await browser.newPage()
    await first.goto(`${server.url}/staff/results`)
    if (first.url().includes('/login')) await logIn(first, server.url, proctor.user, proctor.password, 'en')
    await first.close()
    const { session, origin, api, event } = await studentInExam(server.url)
    await analysisFindings(session, origin)
    await event({ clientEventId: 'shot-focus-1', type: 'focus_lost', agoMs: 200_000, durationMs: 8000, attempt: 1 })
    await event({ clientEventId: 'shot-paste-1', type: 'paste', agoMs: 120_000, attempt: 1 })
    for (const [phase, finish] of [['during', false], ['after', true]] as const) {
      if (finish) assert.equal((await api.finish(1, {})).status, 200)
      for (const locale of LOCALES) {
        const page = await browser.newPage()
        /* ?lang= picks the language. */
        await page.goto(`${server.url}/staff/sessions/${session.publicId}?lang=${locale}`)
        assert.equal(await page.locator('[data-violation]').count(), 4)
        /* The log and score beside each other, as the proctor scrolls to them. */
        await page.locator('.report-log').scrollIntoViewIfNeeded()
        await checkPage(page, `report-live-${phase}-${locale}`, assert)
        await page.locator('#identity-title').scrollIntoViewIfNeeded()
        await page.screenshot({ path: `${SHOTS}/report-live-${phase}-${locale}-identity.png` })
        await page.close()
      }
    }

    /* The proctor marks an incident: a range selected (as the timeline announces it), "Now" for its end, a kind and a comment. */
    const page = await browser.newPage()
    await page.goto(`${server.url}/staff/sessions/${session.publicId}?lang=en`)
    await page.evaluate(() => document.dispatchEvent(new CustomEvent('report:range-selected', { detail: { start: 340.25, end: 330 } })))
    assert.equal(await page.locator('[data-incident-start]').inputValue(), '330')
    assert.equal(await page.locator('[data-incident-end]').inputValue(), '340.3')
    await page.locator('[data-incident-now=end]').click()
    assert.match(await page.locator('[data-incident-end]').inputValue(), /^\d+(\.\d)?$/)
    /* A range past the end of the exam: refused beside the field, what was typed kept. */
    await page.locator('[data-incident-end]').fill('99999')
    await page.locator('[data-testid=incident-form] textarea[name=comment]').fill('A second person sits beside the student')
    await page.locator('[data-testid=incident-form] button[type=submit]').click()
    await page.locator('[data-testid=incident-form] .field-error[data-field=end]').waitFor()
    assert.equal(await page.locator('[data-testid=incident-form] textarea[name=comment]').inputValue(), 'A second person sits beside the student')
    assert.equal(await page.locator('[data-incident-start]').inputValue(), '330')
    await page.locator('#incident-title').scrollIntoViewIfNeeded()
    await checkPage(page, 'report-live-incident-error-en', assert)
    await page.locator('[data-incident-end]').fill('360')
    await page.locator('[data-testid=incident-form] select[name=kind]').selectOption('multiple_faces')
    await page.locator('[data-testid=incident-form] textarea[name=comment]').fill('A second person sits beside the student')
    await page.locator('[data-testid=incident-form] button[type=submit]').click()
    await page.locator('[data-testid=incident-added]').waitFor()
    const row = page.locator('[data-violation][data-type=multiple_faces]')
    assert.include(await row.innerText(), '5:30')
    assert.include(await row.innerText(), 'A second person sits beside the student')
    assert.include(await row.innerText(), 'proctor')
    assert.equal(await page.locator('[data-testid=breakdown] tr[data-kind=multiple_faces]').count(), 1)
    await page.locator('#incident-title').scrollIntoViewIfNeeded()
    await checkPage(page, 'report-live-incident-en', assert)
    await page.close()
  }).timeout(180_000)
})
