import { test } from '@japa/runner'
import { execFileSync } from 'node:child_process'
import db from '@adonisjs/lucid/services/db'
import type { BrowserContext, Page } from 'playwright-core'
import ProctoringSession from '#models/proctoring_session'
import AuditEntry from '#models/audit_entry'
import { AppServer } from '#tests/helpers/app_server'
import { launchBrowser } from '#tests/helpers/browser'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { checkPage, logIn } from '#tests/helpers/page_checks'
import { StudentPage } from '#tests/helpers/student_page'
import { sleep, waitFor } from '#tests/helpers/wait'

/*
| Live proctoring on mediasoup (issue 12), end to end: real Chromium students with fake
| cameras publish through the app's SFU (a real mediasoup worker), a proctor's page watches
| them, chats, warns and stops a session.
*/

type TileVideo = { framesDecoded: number; frameWidth: number; frameHeight: number }

/** What one tile's webcam consumer has received so far (the browser's own getStats). */
function tileVideo(page: Page, publicId: string): Promise<TileVideo | null> {
  return page.evaluate(async (id) => {
    const tiles: Map<number, any> = (window as any).live.tiles
    const view = [...tiles.values()].find((one) => one.data.publicId === id)
    const consumer = view?.consumers.get('webcam')
    if (!consumer) return null
    const stats: RTCStatsReport = await consumer.getStats()
    for (const report of stats.values()) {
      if (report.type === 'inbound-rtp' && report.kind === 'video') {
        return { framesDecoded: report.framesDecoded ?? 0, frameWidth: report.frameWidth ?? 0, frameHeight: report.frameHeight ?? 0 }
      }
    }
    return null
  }, publicId)
}

/** The tile's video really decodes: framesDecoded rises between two looks. */
async function decoding(page: Page, publicId: string, timeoutMs = 30_000) {
  return waitFor(
    `the tile of ${publicId} to decode video`,
    async () => {
      const first = await tileVideo(page, publicId)
      if (!first || first.framesDecoded === 0) return false
      await sleep(1000)
      const second = await tileVideo(page, publicId)
      return second && second.framesDecoded > first.framesDecoded ? second : false
    },
    timeoutMs
  )
}

/** A student through the system check and the rules, into the exam (no identity photos on these exams). */
async function studentInExam(browser: BrowserContext, url: string) {
  const student = await StudentPage.open(browser, url)
  await student.passChecks()
  await student.acceptRules()
  await student.step('ready').waitFor({ state: 'visible' })
  await student.start()
  return student
}

function mediasoupWorkerPids(server: AppServer) {
  try {
    return execFileSync('pgrep', ['-P', String(server.pid), '-f', 'mediasoup-worker'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number)
  } catch {
    return []
  }
}

test.group('Live proctoring: the watch grid, chat, warnings, stopping a session (issue 12)', (group) => {
  let server: AppServer
  let browser: BrowserContext
  let proctorBrowser: BrowserContext
  let students: StudentPage[] = []
  let sessions: ProctoringSession[] = []
  let proctorPage: Page

  group.setup(async () => {
    server = await AppServer.start()
    browser = await launchBrowser()
    proctorBrowser = await launchBrowser()
    return async () => {
      await proctorBrowser.close()
      await browser.close()
      await server.stop()
    }
  })

  test('three students publish; the proctor sees three tiles that decode, enlarges one, closes another; chat goes both ways; stop ends a session with the reason shown', async ({ assert }) => {
    const first = await examWithCandidate({ title: 'Live — анатомия', requiresScreen: false, requiresFace: false, requiresDocument: false })
    const more = [
      await examWithCandidate({ title: 'Live — анатомия 2', requiresScreen: false, requiresFace: false, requiresDocument: false }),
      await examWithCandidate({ title: 'Live — анатомия 3', requiresScreen: false, requiresFace: false, requiresDocument: false }),
    ]
    const all = [first, ...more]
    /* Names no other test's candidate has: the picker's search must find exactly one each. */
    for (const [index, one] of all.entries()) {
      one.candidate.fullName = `Лайв Студент ${index + 1}-${Date.now().toString(36)}`
      await one.candidate.save()
    }
    students = []
    for (const one of all) students.push(await studentInExam(browser, `${server.url}${one.link}`))
    sessions = []
    for (const one of all) sessions.push(await ProctoringSession.query().where('candidateId', one.candidate.id).firstOrFail())
    await waitFor('every student to publish', async () => {
      const states = await Promise.all(students.map((s) => s.page.evaluate(() => document.body.dataset.live)))
      return states.every((state) => state === 'connected')
    }, 30_000)

    const { user, password } = await staffUser('proctor')
    proctorPage = await proctorBrowser.newPage()
    await logIn(proctorPage, server.url, user, password, 'en')
    await proctorPage.goto(`${server.url}/staff/live`)
    assert.isTrue(await proctorPage.getByText('No one is watched yet').isVisible())
    await checkPage(proctorPage, 'live-empty-en', assert, { streaming: true })

    /* "+": the picker, filtered by name, pages through the sessions running now. */
    for (const one of all) {
      await proctorPage.locator('.live-head [data-action="open-picker"]').click()
      const picker = proctorPage.locator('[data-role="picker"]')
      await picker.locator('input[name="q"]').fill(one.candidate.fullName)
      await picker.locator('input[name="q"]').press('Enter')
      await proctorPage.waitForFunction(
        (name) => {
          const rows = document.querySelectorAll('[data-role="picker"] tr[data-session]')
          return rows.length === 1 && rows[0].textContent!.includes(name)
        },
        one.candidate.fullName,
        { timeout: 10_000 }
      ).catch(async (error) => {
        throw new Error(`${error}\n${await picker.innerText()}`)
      })
      const add = picker.locator(`tr[data-session] [data-add]`)
      await add.first().click()
      await picker.getByText('added').first().waitFor({ state: 'visible' })
      await picker.locator('[data-action="close-picker"]').click()
    }
    await proctorPage.waitForFunction(() => document.querySelectorAll('.tile').length === 3)
    for (const session of sessions) await decoding(proctorPage, session.publicId)
    assert.include(await proctorPage.locator('[data-role="tile-count"]').textContent(), '3 students')
    await checkPage(proctorPage, 'live-three-tiles-en', assert, { streaming: true })

    /* Enlarge: the larger simulcast layer, so the received resolution rises. */
    const [big, closing, stopping] = sessions
    const small = await decoding(proctorPage, big.publicId)
    await proctorPage.locator(`.tile[data-session="${big.publicId}"]`).hover()
    await proctorPage.locator(`.tile[data-session="${big.publicId}"] [data-action="enlarge"]`).click()
    const enlarged = await waitFor('the enlarged tile to receive a larger picture', async () => {
      const now = await tileVideo(proctorPage, big.publicId)
      return now && now.frameWidth > small.frameWidth ? now : false
    }, 45_000)
    assert.isAbove(enlarged.frameWidth, small.frameWidth)
    assert.isTrue(await proctorPage.locator(`.tile[data-session="${big.publicId}"]`).evaluate((el) => el.classList.contains('large')))

    /* Close: the tile leaves the list, which is kept per proctor. */
    await proctorPage.locator(`.tile[data-session="${closing.publicId}"]`).hover()
    await proctorPage.locator(`.tile[data-session="${closing.publicId}"] [data-action="close"]`).click()
    await proctorPage.waitForFunction(() => document.querySelectorAll('.tile').length === 2)
    const kept = await db.from('live_watch_items').where('user_id', user.id).select('session_id')
    assert.sameMembers(kept.map((row) => Number(row.session_id)), [big.id, stopping.id])

    /* Chat both ways. */
    const student = students[2]
    await proctorPage.locator(`.tile[data-session="${stopping.publicId}"]`).hover()
    await proctorPage.locator(`.tile[data-session="${stopping.publicId}"] [data-action="chat"]`).click()
    await proctorPage.locator('[data-role="chat-text"]').fill('Please turn your face to the camera.')
    await proctorPage.locator('[data-action="send-chat"]').click()
    await student.page.locator('[data-role="chat-log"]').getByText('Please turn your face to the camera.').waitFor({ state: 'visible', timeout: 15_000 })
    assert.equal(await student.page.locator('[data-role="chat-unread"]').textContent(), '1')
    await checkPage(student.page, 'live-student-chat-en', assert, { streaming: true })
    await student.page.locator('[data-role="chat-text"]').fill('Sorry, done.')
    await student.page.locator('[data-role="chat-form"] button[type="submit"]').click()
    await proctorPage.locator('[data-role="chat-log"]').getByText('Sorry, done.').waitFor({ state: 'visible', timeout: 15_000 })

    /* A warning the student must acknowledge. */
    await proctorPage.locator('[data-role="chat-text"]').fill('Last warning: no phone on the desk.')
    await proctorPage.locator('[data-action="send-warning"]').click()
    const warning = student.page.locator('[data-role="warning-dialog"]')
    await warning.getByText('Last warning: no phone on the desk.').waitFor({ state: 'visible', timeout: 15_000 })
    await warning.locator('[data-action="warning-ack"]').click()
    await proctorPage.locator('[data-role="chat-log"] .warning').getByText('acknowledged').waitFor({ state: 'visible', timeout: 15_000 })

    /* Stop, with the reason the student is shown. */
    await proctorPage.locator('[data-action="open-stop"]').click()
    await proctorPage.locator('[data-role="stop-reason"]').fill('A second person in the room.')
    await proctorPage.locator('[data-action="confirm-stop"]').click()
    await student.step('stopped_by_proctor').waitFor({ state: 'visible', timeout: 30_000 })
    assert.include(await student.step('stopped_by_proctor').textContent(), 'Session stopped by the proctor')
    assert.include(await student.page.locator('[data-role="stopped-reason"]').textContent(), 'A second person in the room.')
    await stopping.refresh()
    assert.equal(stopping.status, 'stopped')
    assert.equal(stopping.endReason, 'ended_by_proctor')
    assert.equal(stopping.stopNote, 'A second person in the room.')
    const archived = await AuditEntry.query().where('subjectId', stopping.publicId).orderBy('id')
    assert.includeMembers(archived.map((entry) => entry.action), ['live.watch', 'live.chat', 'live.warning', 'live.warning_acknowledged', 'live.stop'])
    const report = await proctorBrowser.newPage()
    await report.goto(`${server.url}/staff/sessions/${stopping.publicId}`)
    assert.equal(await report.getByTestId('stop-note').textContent(), 'A second person in the room.')
    await report.close()

    /* The list is kept: after a reload the two tiles are back and decode again. */
    await proctorPage.reload()
    await proctorPage.waitForFunction(() => document.querySelectorAll('.tile').length === 2)
    await decoding(proctorPage, big.publicId)

    /* The page in Kazakh and Russian, then back in English for the next test. */
    for (const locale of ['kk', 'ru', 'en']) {
      await proctorPage.goto(`${server.url}/staff/live?mode=camera_screen&lang=${locale}`)
      await decoding(proctorPage, big.publicId)
      if (locale !== 'en') await checkPage(proctorPage, `live-tiles-${locale}`, assert, { streaming: true })
    }
    await proctorPage.goto(`${server.url}/staff/live?mode=camera`)
  }).timeout(300_000)

  test('restarting the mediasoup worker (kill -9) brings the tiles back within 10 s without reloading any page', async ({ assert }) => {
    assert.isDefined(proctorPage, 'the first test left a proctor page watching')
    const [big] = sessions
    const watching = [sessions[0]]
    for (const session of watching) await decoding(proctorPage, session.publicId)
    /* A mark in each page: a reload would lose it. */
    for (const page of [proctorPage, students[0].page]) await page.evaluate(() => ((window as any).notReloaded = true))
    const before = mediasoupWorkerPids(server)
    assert.lengthOf(before, 1, 'one mediasoup worker under the app')
    process.kill(before[0], 'SIGKILL')
    const killedAt = Date.now()
    await waitFor('a new mediasoup worker', async () => {
      const now = mediasoupWorkerPids(server)
      return now.length === 1 && now[0] !== before[0]
    }, 10_000)
    /* The wait's own deadline is the 10 s, counted from the kill. */
    await decoding(proctorPage, big.publicId, Math.max(1, 10_000 - (Date.now() - killedAt)))
    console.log(`  the tile decoded again ${Date.now() - killedAt} ms after the kill`)
    for (const page of [proctorPage, students[0].page]) assert.isTrue(await page.evaluate(() => (window as any).notReloaded === true))
  }).timeout(60_000)
})
