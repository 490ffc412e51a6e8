import { test } from '@japa/runner'
import { createHash } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import { chunkBytes } from '#services/chunk_files'
import type { BrowserContext } from 'playwright-core'
import Attempt from '#models/attempt'
import ProctoringEvent from '#models/proctoring_event'
import ProctoringSession from '#models/proctoring_session'
import Recording from '#models/recording'
import { dataDir } from '#config/paths'
import { AppServer } from '#tests/helpers/app_server'
import { launchBrowser } from '#tests/helpers/browser'
import { examWithCandidate } from '#tests/helpers/fixtures'
import { LmsServer } from '#tests/helpers/lms_server'
import { faceCameraVideo, speechAudio } from '#tests/helpers/media'
import { StudentPage, type LedgerEntry } from '#tests/helpers/student_page'
import { sleep, waitFor } from '#tests/helpers/wait'

async function sessionOf(candidateId: number) {
  return ProctoringSession.query().where('candidateId', candidateId).firstOrFail()
}

async function eventTypes(session: ProctoringSession) {
  return (await ProctoringEvent.query().where('sessionId', session.id).orderBy('id')).map((e) => e.type)
}

/** Every chunk the browser recorded is stored, byte for byte, under its attempt. */
async function assertAllChunksStored(assert: any, session: ProctoringSession, ledger: LedgerEntry[]) {
  const stored = await db
    .from('recording_chunks')
    .join('recordings', 'recordings.id', 'recording_chunks.recording_id')
    .join('attempts', 'attempts.id', 'recordings.attempt_id')
    .where('recordings.session_id', session.id)
    .select('attempts.number as attempt', 'recordings.stream', 'recording_chunks.seq', 'recording_chunks.path', 'recording_chunks.byte_offset as byteOffset', 'recording_chunks.size')
  const key = (c: { attempt: number; stream: string; seq: number }) => `${c.attempt}/${c.stream}/${c.seq}`
  assert.sameMembers(stored.map(key), ledger.map(key))
  for (const entry of ledger) {
    const row = stored.find((c) => key(c) === key(entry))!
    const bytes = await chunkBytes(dataDir, row)
    assert.equal(createHash('sha256').update(bytes).digest('hex'), entry.sha256, key(entry))
  }
}

test.group('Student: the exam, its events, limits and reconnects', (group) => {
  let server: AppServer
  let browser: BrowserContext

  group.setup(async () => {
    server = await AppServer.start({ SWEEP_CRON: '* * * * * *' })
    browser = await launchBrowser({ videoFile: await faceCameraVideo() })
    return async () => {
      await browser.close()
      await server.stop()
    }
  })

  async function startedExam(overrides: Parameters<typeof examWithCandidate>[0] = {}) {
    const fixture = await examWithCandidate({ examUrl: null, ...overrides })
    const student = await StudentPage.open(browser, `${server.url}${fixture.link}?lang=en`)
    await student.getReady()
    await student.start()
    return { ...fixture, student, session: await sessionOf(fixture.candidate.id) }
  }

  test('each browser event is stored, counted and shown (track, monitor and visibility changes are signalled to the page: headless Chromium has none of its own)', async ({ assert }) => {
    const { student, session } = await startedExam()
    const page = student.page
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Emulation.setFocusEmulationEnabled', { enabled: false })

    /* Real input: keyboard and mouse. */
    await page.locator('.panel-exam').selectText()
    await page.keyboard.press('Control+C')
    await page.keyboard.press('Control+X')
    await page.keyboard.press('Control+V')
    await page.locator('.panel-exam').click({ button: 'right' })
    /* Real focus loss: another window comes to the front. */
    const other = await browser.newPage()
    await other.bringToFront()
    await sleep(300)
    await other.close()
    await page.bringToFront()
    /* Real full-screen exit, real network loss (short: no reconnect). */
    await page.evaluate(() => document.exitFullscreen())
    await page.context().setOffline(true)
    await sleep(1000)
    await page.context().setOffline(false)
    /* What headless Chromium cannot do by itself: told to the page as the browser would. */
    await page.evaluate(() => {
      const { devices } = (window as any).proctor
      devices.screen.getVideoTracks()[0].dispatchEvent(new Event('ended'))
      devices.camera.getVideoTracks()[0].dispatchEvent(new Event('mute'))
      devices.camera.getVideoTracks()[0].dispatchEvent(new Event('ended'))
      devices.camera.getAudioTracks()[0].dispatchEvent(new Event('mute'))
      devices.camera.getAudioTracks()[0].dispatchEvent(new Event('ended'))
      Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true })
      document.dispatchEvent(new Event('visibilitychange'))
      Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true })
      Object.defineProperty(window.screen, 'isExtended', { value: true, configurable: true })
      ;(window.screen as unknown as EventTarget).dispatchEvent(new Event('change'))
    })

    const expected = [
      'copy', 'cut', 'paste', 'right_click', 'focus_lost', 'fullscreen_exit', 'network_lost',
      'screen_share_stopped', 'camera_muted', 'camera_stopped', 'microphone_muted', 'microphone_stopped',
      'tab_hidden', 'second_monitor',
    ]
    const types = await waitFor('every event to be stored', async () => {
      const stored = await eventTypes(session)
      return expected.every((t) => stored.includes(t)) && stored
    }, 30_000)
    assert.includeMembers(types, expected)
    await waitFor('the counter to show them', async () => (await student.violationsShown()) === types.length, 15_000)
    await session.refresh()
    assert.equal(session.violationCount, types.length)
    assert.isBelow(session.credibility!, 100, 'the score follows the events as they come')
    assert.equal(await student.violationsShown(), types.length)
    assert.include(await page.locator('[data-role="banner"]').textContent(), 'Screen sharing stopped')

    /* The side panel folds away and comes back. */
    await page.locator('[data-action="toggle-panel"]').click()
    assert.isFalse(await page.locator('.panel-body').isVisible())
    assert.equal(await page.locator('[data-action="toggle-panel"]').getAttribute('aria-expanded'), 'false')
    await page.locator('[data-action="toggle-panel"]').click()
    assert.isTrue(await page.locator('.panel-body').isVisible())
    await page.close()
  })

  test('voice in the room is an event (fake microphone plays espeak-ng speech)', async ({ assert }) => {
    const talking = await launchBrowser({ videoFile: await faceCameraVideo(), audioFile: await speechAudio() })
    try {
      const { link, candidate } = await examWithCandidate({ examUrl: null })
      const student = await StudentPage.open(talking, `${server.url}${link}`)
      await student.getReady()
      await student.start()
      const session = await sessionOf(candidate.id)
      await waitFor('a voice event', async () => (await eventTypes(session)).includes('voice_detected'), 30_000)
      await student.page.close()
      const voice = await ProctoringEvent.query().where({ sessionId: session.id, type: 'voice_detected' }).firstOrFail()
      assert.isNotNull(voice.endedAt)
      assert.isAtLeast(voice.endedAt!.diff(voice.startedAt).toMillis(), 1500)
    } finally {
      await talking.close()
    }
  })

  test('crossing the violation limit stops the session as ПКН, tells the student and stops recording cleanly', async ({ assert }) => {
    const { student, session } = await startedExam({ violationLimit: 2 })
    await sleep(3500)
    for (let i = 0; i < 3; i++) {
      await student.page.locator('.panel-exam').click({ button: 'right' })
      await sleep(300)
    }
    await student.step('stopped').waitFor({ state: 'visible', timeout: 60_000 })
    assert.include(await student.step('stopped').textContent(), 'violation limit exceeded')
    assert.include(await student.step('stopped').textContent(), 'Violations: 3, limit: 2')
    await session.refresh()
    assert.equal(session.status, 'stopped')
    assert.equal(session.endReason, 'violation_limit')

    const ledger = await student.ledger()
    assert.equal(await student.pendingCount(), 0)
    await assertAllChunksStored(assert, session, ledger)
    const recordings = await waitFor('the chunk totals', async () => {
      const rows = await Recording.query().where('sessionId', session.id)
      return rows.every((r) => r.expectedChunks !== null) && rows
    }, 20_000)
    for (const r of recordings) assert.equal(r.chunkCount, r.expectedChunks, r.stream)
    await student.page.close()
  })

  test('the agent script blocks copy and paste inside a cross-origin exam page and reports them', async ({ assert }) => {
    const lms = await LmsServer.start(server.url)
    try {
      const { student, session } = await startedExam({ examUrl: lms.url })
      const frame = student.page.frameLocator('[data-role="exam-frame"]')
      await frame.locator('#question').waitFor()
      const examFrame = student.page.frames().find((f) => f.url().startsWith(lms.url))!
      assert.notEqual(new URL(examFrame.url()).origin, new URL(server.url).origin)

      const answer = frame.locator('#answer')
      await answer.pressSequentially('бедренная кость')
      await answer.press('Control+A')
      await answer.press('Control+C')
      const pasteAllowed = await examFrame.evaluate(() => {
        const data = new DataTransfer()
        data.setData('text/plain', 'шпаргалка')
        return document.getElementById('answer')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }))
      })
      assert.isFalse(pasteAllowed, 'the paste is cancelled inside the exam page')
      await frame.locator('#answer').click({ button: 'right' })

      const events = await waitFor('the exam page events', async () => {
        const rows = await ProctoringEvent.query().where('sessionId', session.id)
        return rows.filter((e) => e.details?.where === 'exam_page').length >= 3 && rows
      }, 20_000)
      const fromExam = events.filter((e) => e.details?.where === 'exam_page').map((e) => e.type)
      assert.includeMembers(fromExam, ['copy', 'paste', 'right_click'])
      await waitFor('the counter', async () => (await student.violationsShown()) >= 3, 10_000)
      await student.page.close()
    } finally {
      await lms.stop()
    }
  })

  test('a reconnect after 20 s offline continues as attempt 2 and loses no chunk', async ({ assert }) => {
    const { student, session } = await startedExam()
    await sleep(4000)
    await student.page.context().setOffline(true)
    await sleep(20_000)
    await student.page.context().setOffline(false)
    await waitFor('attempt 2', async () => (await student.attempt()) === 2, 30_000)
    await sleep(4000)
    await student.finish()

    const attempts = await Attempt.query().where('sessionId', session.id).orderBy('number')
    assert.deepEqual(attempts.map((a) => a.number), [1, 2])
    assert.isNotNull(attempts[0].endedAt)
    const ledger = await student.ledger()
    assert.isAbove(ledger.filter((c) => c.attempt === 1).length, 6, 'attempt 1 recorded through the outage')
    assert.isAbove(ledger.filter((c) => c.attempt === 2).length, 0)
    await assertAllChunksStored(assert, session, ledger)
    const lost = await ProctoringEvent.query().where({ sessionId: session.id, type: 'network_lost' }).firstOrFail()
    assert.approximately(lost.endedAt!.diff(lost.startedAt).toMillis(), 20_000, 3000)
    await student.page.close()
  })

  test('a reload continues the session as attempt 2 without asking for rules or photos again', async ({ assert }) => {
    const { student, session } = await startedExam()
    await sleep(4000)
    await student.page.reload()
    await student.passChecks()
    await student.step('ready').waitFor({ state: 'visible' })
    assert.equal(await student.page.locator('[data-action="start"]').textContent(), 'Continue exam')
    await student.start()
    assert.equal(await student.attempt(), 2)
    await sleep(3500)
    await student.finish()
    const attempts = await Attempt.query().where('sessionId', session.id)
    assert.lengthOf(attempts, 2)
    await session.refresh()
    assert.equal(session.status, 'finished')
    await student.page.close()
  })

  test('no return within the reconnect window closes the session as finished, with the reason', async ({ assert }) => {
    const { student, session } = await startedExam({ reconnectWindowSeconds: 4 })
    await student.page.context().setOffline(true)
    await waitFor('the session to be closed', async () => {
      await session.refresh()
      return session.status === 'finished'
    }, 30_000)
    assert.equal(session.endReason, 'reconnect_timeout')
    await student.page.context().setOffline(false)
    await student.step('closed').waitFor({ state: 'visible', timeout: 60_000 })
    assert.include(await student.step('closed').textContent(), 'did not come back within the allowed time')
    await student.page.close()
  })

  test('the phone page records the phone camera as a third stream', async ({ assert }) => {
    const { student, session } = await startedExam({ requiresPhone: true })
    const phoneUrl = await student.page.locator('[data-testid="phone-qr"]').getAttribute('data-phone-url')
    assert.match(await student.page.locator('[data-testid="phone-qr"] svg').innerHTML(), /path/)
    const phone = await browser.newPage()
    await phone.goto(phoneUrl!)
    await phone.locator('[data-action="phone-start"]').click()
    await phone.waitForFunction(() => document.body.dataset.phoneState === 'recording', undefined, { timeout: 30_000 })
    await waitFor('the exam page to see the phone', async () => (await student.page.locator('[data-role="phone-state"]').textContent()) === 'Phone connected', 30_000)
    await sleep(7000)
    const phoneRecording = await Recording.query().where({ sessionId: session.id, stream: 'phone' }).firstOrFail()
    assert.isAtLeast(phoneRecording.chunkCount, 2)

    /* The phone goes away: the exam page notices and it becomes an event. */
    await phone.close()
    await waitFor('the phone loss event', async () => (await eventTypes(session)).includes('phone_camera_lost'), 45_000)
    assert.equal(await student.page.locator('[data-role="phone-state"]').textContent(), 'Phone connection lost')
    await student.finish()
    await student.page.close()
  })

  test('several exams: the student chooses one, and the done page offers the next', async ({ assert }) => {
    const first = await examWithCandidate({ title: 'Анатомия', examUrl: null })
    const second = await examWithCandidate({ title: 'Гистология', examUrl: null })
    const { issueStudentLink } = await import('#actions/sessions/student_link')
    const link = issueStudentLink([first.exam.id, second.exam.id], first.candidate.id).path
    const page = await browser.newPage()
    await page.goto(`${server.url}${link}?lang=en`)
    const choices = page.locator('[data-testid="exam-choices"] li')
    assert.equal(await choices.count(), 2)
    await page.locator(`[data-exam="${first.exam.id}"]`).click()
    const student = new StudentPage(page)
    await student.getReady()
    await student.start()
    await sleep(3500)
    await student.finish()
    await page.locator('[data-action="another-exam"]').click()
    await page.waitForSelector('[data-testid="exam-choices"]')
    assert.include(await choices.nth(0).textContent(), 'Taken')
    assert.equal(await page.locator(`[data-exam="${second.exam.id}"]`).count(), 1)
    await page.close()
  })
})
