import { test } from '@japa/runner'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { promisify } from 'node:util'
import { DateTime } from 'luxon'
import app from '@adonisjs/core/services/app'
import type { BrowserContext, Page } from 'playwright-core'
import ProctoringSession from '#models/proctoring_session'
import Attempt from '#models/attempt'
import Recording from '#models/recording'
import ProctoringEvent from '#models/proctoring_event'
import { dataDir } from '#config/paths'
import { AppServer } from '#tests/helpers/app_server'
import { launchBrowser } from '#tests/helpers/browser'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { checkPage, logIn, SHOTS } from '#tests/helpers/page_checks'
import { LOCALES } from '#services/locale'

const run = promisify(execFile)
const MEDIA = app.makePath('tmp/media')

/**
 * A recording as the worker leaves it (WebM, VP8, a key frame every 2 s, as the browser records;
 * the webcam with Opus sound), made with ffmpeg from a moving test picture.
 */
async function recordingFile(name: string, seconds: number, picture: string, sound: boolean) {
  await mkdir(MEDIA, { recursive: true })
  const out = `${MEDIA}/players-${name}-${seconds}s-${picture.replace(/\W+/g, '_')}.webm`
  if (existsSync(out)) return out
  const audio = sound ? ['-f', 'lavfi', '-t', String(seconds), '-i', 'sine=frequency=440:sample_rate=48000'] : []
  await run('ffmpeg', [
    '-v', 'error', '-y', '-f', 'lavfi', '-t', String(seconds), '-i', picture, ...audio,
    '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '400k', '-g', '30', '-keyint_min', '30',
    ...(sound ? ['-c:a', 'libopus', '-b:a', '32k'] : ['-an']),
    '-t', String(seconds), '-f', 'webm', out,
  ], { maxBuffer: 1 << 24 })
  return out
}

/** Exam time of each planted violation (seconds from the session's start) and its attempt. */
const PLANTED = [
  { type: 'no_face', source: 'analysis', start: 8, end: 12, attempt: 1 },
  { type: 'voice_detected', source: 'analysis', start: 20, end: 24, attempt: 1 },
  { type: 'focus_lost', source: 'browser', start: 33, end: 36, attempt: 1 },
  { type: 'tab_hidden', source: 'browser', start: 65, end: 67, attempt: 2 },
] as const
/** Attempt 2 starts 60 s into the exam: its recordings' 0:00 is exam time 1:00. */
const ATTEMPT2_OFFSET = 60

/**
 * A finished session with two attempts: the first with webcam and screen (40 s) and a phone
 * camera that stopped after 30 s, the second with a webcam only (20 s); violations at known times.
 */
async function sessionWithRecordings() {
  const { exam, candidate } = await examWithCandidate({ title: 'Гистология — аралық бақылау', requiresPhone: true })
  const origin = DateTime.now().minus({ hours: 1 }).startOf('second')
  const session = await ProctoringSession.create({
    publicId: randomUUID(),
    examId: exam.id,
    candidateId: candidate.id,
    systemId: null,
    status: 'finished',
    endReason: 'finished_by_student',
    decision: 'none',
    archived: false,
    violationCount: PLANTED.length,
    startedAt: origin,
    endedAt: origin.plus({ seconds: 80 }),
  })
  const spans = [
    { number: 1, at: 0, seconds: 40, streams: { webcam: 40, screen: 40, phone: 30 } },
    { number: 2, at: ATTEMPT2_OFFSET, seconds: 20, streams: { webcam: 20 } },
  ]
  const attempts: Attempt[] = []
  for (const span of spans) {
    const attempt = await Attempt.create({
      sessionId: session.id,
      number: span.number,
      startedAt: origin.plus({ seconds: span.at }),
      endedAt: origin.plus({ seconds: span.at + span.seconds }),
    })
    attempts.push(attempt)
    for (const [stream, seconds] of Object.entries(span.streams)) {
      const pictures: Record<string, string> = {
        webcam: 'testsrc2=s=480x270:r=15',
        screen: 'testsrc=s=640x360:r=10',
        phone: 'smptebars=s=320x240:r=15',
      }
      const file = await recordingFile(stream, seconds, pictures[stream], stream === 'webcam')
      const relative = join('recordings', session.publicId, `attempt-${span.number}`, `${stream}.webm`)
      await mkdir(join(dataDir, 'recordings', session.publicId, `attempt-${span.number}`), { recursive: true })
      await copyFile(file, join(dataDir, relative))
      await Recording.create({
        sessionId: session.id,
        attemptId: attempt.id,
        stream: stream as 'webcam' | 'screen' | 'phone',
        mimeType: 'video/webm;codecs=vp8,opus',
        chunkCount: Math.ceil(seconds / 10),
        expectedChunks: Math.ceil(seconds / 10),
        bytes: (await stat(file)).size,
        status: 'ready',
        filePath: relative,
        durationSeconds: seconds,
      })
    }
  }
  for (const event of PLANTED) {
    await ProctoringEvent.create({
      sessionId: session.id,
      attemptId: attempts[event.attempt - 1].id,
      type: event.type,
      source: event.source,
      isViolation: true,
      startedAt: origin.plus({ seconds: event.start }),
      endedAt: origin.plus({ seconds: event.end }),
    })
  }
  return session
}

type Player = { stream: string; time: number; paused: boolean; rate: number; seeking: boolean }

/** Every player of one attempt: where it is, whether it plays, at what speed. */
async function players(page: Page, attempt: number): Promise<Player[]> {
  return page.evaluate((n) => {
    const section = document.querySelector(`[data-sync][data-attempt="${n}"]`)!
    return [...section.querySelectorAll('video')].map((v) => ({
      stream: v.dataset.stream!,
      time: v.currentTime,
      paused: v.paused,
      rate: v.playbackRate,
      seeking: v.seeking,
    }))
  }, attempt)
}

/** Waits until no player of the attempt is still seeking or short of data. */
async function settled(page: Page, attempt: number) {
  await page.waitForFunction(
    (n) => [...document.querySelectorAll(`[data-sync][data-attempt="${n}"] video`)].every((v) => !(v as HTMLVideoElement).seeking && (v as HTMLVideoElement).readyState >= 2),
    attempt,
    { timeout: 15_000 }
  )
}

const clockOf = async (page: Page, attempt: number) =>
  Number(await page.locator(`[data-sync][data-attempt="${attempt}"]`).getAttribute('data-clock'))

const spread = (list: Player[]) => Math.max(...list.map((p) => p.time)) - Math.min(...list.map((p) => p.time))

test.group('Report players on one clock (issue 9, P3)', (group) => {
  let server: AppServer
  let browser: BrowserContext
  let page: Page
  let session: ProctoringSession

  group.setup(async () => {
    await mkdir(SHOTS, { recursive: true })
    server = await AppServer.start()
    browser = await launchBrowser()
    session = await sessionWithRecordings()
    const { user, password } = await staffUser('proctor')
    page = await browser.newPage()
    await logIn(page, server.url, user, password, 'en')
    return async () => {
      await browser.close()
      await server.stop()
    }
  })

  /** The report, opened afresh, with every player's first frames loaded. */
  async function openReport() {
    await page.goto(`${server.url}/staff/sessions/${session.publicId}`)
    await page.waitForFunction(() => [...document.querySelectorAll('video')].every((v) => v.readyState >= 2 && Number.isFinite(v.duration)), null, { timeout: 20_000 })
  }

  test('clicking a violation moves every player to its time (within 0.5 s)', async ({ assert }) => {
    await openReport()
    /* The log is in exam time: the second row is the voice at 0:20, the last the hidden tab at 1:05. */
    const rows = page.locator('[data-violation]')
    assert.equal(await rows.count(), PLANTED.length)
    assert.include(await rows.nth(1).innerText(), '0:20')

    await rows.nth(1).click()
    await settled(page, 1)
    const first = await players(page, 1)
    assert.sameMembers(first.map((p) => p.stream), ['webcam', 'screen', 'phone'])
    for (const player of first) assert.closeTo(player.time, 20, 0.5, `${player.stream} at the voice`)
    assert.closeTo(await clockOf(page, 1), 20, 0.5)
    assert.equal(await rows.nth(1).getAttribute('aria-current'), 'true')

    /* A row of the second attempt moves that attempt's players, to exam time minus the attempt's start. */
    await rows.nth(3).click()
    await settled(page, 2)
    for (const player of await players(page, 2)) assert.closeTo(player.time, 65 - ATTEMPT2_OFFSET, 0.5, `attempt 2 ${player.stream}`)
    for (const player of await players(page, 1)) assert.closeTo(player.time, 20, 0.5, `attempt 1 ${player.stream} stays`)

    /* A range on the timeline seeks to its start too. */
    await page.locator('[data-sync][data-attempt="1"] [data-role=range]').first().click()
    await settled(page, 1)
    for (const player of await players(page, 1)) assert.closeTo(player.time, 8, 0.5, `${player.stream} at the range`)
  }).timeout(90_000)

  test('playing 20 s keeps them within 0.3 s of each other', async ({ assert }) => {
    await openReport()
    const section = page.locator('[data-sync][data-attempt="1"]')
    await section.locator('[data-action=play]').click()
    const started = Date.now()
    let worst = 0
    while (Date.now() - started < 20_000) {
      await page.waitForTimeout(1000)
      const list = await players(page, 1)
      if (list.some((p) => p.seeking)) continue
      worst = Math.max(worst, spread(list))
      assert.isAtMost(spread(list), 0.3, `apart by ${spread(list).toFixed(2)} s at ${list.map((p) => p.time.toFixed(2)).join(', ')}`)
    }
    const list = await players(page, 1)
    assert.isAtMost(spread(list), 0.3)
    assert.isTrue(list.every((p) => !p.paused), 'all still playing')
    assert.isAbove(list[0].time, 16, 'the clock ran for most of the 20 s')
    assert.equal(await section.getAttribute('data-state'), 'playing')

    /* The phone recording (30 s) stops at its end while webcam and screen go on. */
    await page.waitForFunction(() => Number(document.querySelector('[data-sync][data-attempt="1"]')!.getAttribute('data-clock')) > 32, null, { timeout: 20_000 })
    const later = await players(page, 1)
    const phone = later.find((p) => p.stream === 'phone')!
    assert.isTrue(phone.paused, 'the phone stopped at its end')
    assert.closeTo(phone.time, 30, 0.3)
    for (const p of later.filter((p) => p.stream !== 'phone')) {
      assert.isFalse(p.paused, `${p.stream} goes on`)
      assert.isAbove(p.time, 31.5)
    }
    await section.locator('[data-action=play]').click()
    assert.equal(await section.getAttribute('data-state'), 'paused')
    console.log(`  worst spread while playing: ${worst.toFixed(3)} s`)
  }).timeout(90_000)

  test('speed 4x applies to all', async ({ assert }) => {
    await openReport()
    const section = page.locator('[data-sync][data-attempt="1"]')
    await section.locator('select[data-role=rate]').selectOption('4')
    assert.equal(await section.getAttribute('data-rate'), '4')
    for (const player of await players(page, 1)) assert.equal(player.rate, 4, `${player.stream} at 4x`)
    /* Only the webcam is heard; its sound can be switched off and on again. */
    const muted = () => section.locator('video').evaluateAll((videos) => videos.map((v) => `${(v as HTMLVideoElement).dataset.stream}:${(v as HTMLVideoElement).muted}`))
    assert.deepEqual(await muted(), ['webcam:false', 'screen:true', 'phone:true'])
    await section.locator('[data-action=mute]').click()
    assert.deepEqual(await muted(), ['webcam:true', 'screen:true', 'phone:true'])
    assert.equal(await section.locator('[data-action=mute]').innerText(), 'Sound on')
    await section.locator('[data-action=mute]').click()
    assert.equal(await section.locator('[data-action=mute]').innerText(), 'Mute')
    /* Attempt 2 keeps its own speed. */
    assert.equal(await page.locator('[data-sync][data-attempt="2"]').getAttribute('data-rate'), '1')

    await section.locator('[data-action=play]').click()
    await page.waitForTimeout(3000)
    const list = await players(page, 1)
    await section.locator('[data-action=play]').click()
    for (const player of list) {
      /* Drift correction may run a player up to 10 % off the speed to catch up. */
      assert.closeTo(player.rate, 4, 0.4, `${player.stream} rate`)
      /* 12 s of recording in 3 s; a machine busy with other work decodes three streams at 4x a little slower (the clock waits for them). */
      assert.isAbove(player.time, 7, `${player.stream} ran several times as fast`)
    }
    assert.isAtMost(spread(list), 0.5)

    /* 10x: a 40 s recording is seen in 4 s; the clock does not stall on its own corrections. */
    await page.locator('[data-violation]').nth(0).click()
    await settled(page, 1)
    await section.locator('select[data-role=rate]').selectOption('10')
    await section.locator('[data-action=play]').click()
    await page.waitForTimeout(1500)
    const fast = await players(page, 1)
    const clock = await clockOf(page, 1)
    await section.locator('[data-action=play]').click()
    for (const player of fast) assert.closeTo(player.rate, 10, 1, `${player.stream} at 10x`)
    /* 15 s of recording in 1.5 s at best; a busy machine decodes three streams at 10x only so fast (the clock waits for them). */
    assert.isAbove(clock, 8 + 6, `far faster than real time: ${fast.map((p) => p.time.toFixed(2)).join(', ')}`)
    /* At 10x a second of recording passes in a tenth of a second: together within 0.2 s of viewing. */
    assert.isAtMost(spread(fast), 2)
  }).timeout(60_000)

  test('the arrow keys step through violations', async ({ assert }) => {
    await openReport()
    const rows = page.locator('[data-violation]')
    await page.locator('h1').click()
    await page.keyboard.press('ArrowDown')
    await settled(page, 1)
    assert.equal(await rows.nth(0).getAttribute('aria-current'), 'true')
    for (const player of await players(page, 1)) assert.closeTo(player.time, 8, 0.5)

    await page.keyboard.press('ArrowDown')
    await settled(page, 1)
    for (const player of await players(page, 1)) assert.closeTo(player.time, 20, 0.5)

    /* j is down too; the phone recording is over at 0:33, so it waits at its last frame. */
    await page.keyboard.press('j')
    await settled(page, 1)
    const atFocus = await players(page, 1)
    for (const player of atFocus) assert.closeTo(player.time, player.stream === 'phone' ? 30 : 33, 0.5, player.stream)
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-start')), '33')

    /* Into the second attempt, and back with ArrowUp and k. */
    await page.keyboard.press('ArrowDown')
    await settled(page, 2)
    for (const player of await players(page, 2)) assert.closeTo(player.time, 5, 0.5)
    await page.keyboard.press('ArrowDown')
    assert.equal(await rows.nth(3).getAttribute('aria-current'), 'true', 'held at the last row')
    await page.keyboard.press('ArrowUp')
    await page.keyboard.press('k')
    await settled(page, 1)
    assert.equal(await rows.nth(1).getAttribute('aria-current'), 'true')
    assert.equal(await page.locator('[data-violation][aria-current]').count(), 1)
    for (const player of await players(page, 1)) assert.closeTo(player.time, 20, 0.5)

    /* Space on the control bar plays and pauses; the arrows in the seek slider stay the slider's. */
    const section = page.locator('[data-sync][data-attempt="1"]')
    await section.locator('[data-action=play]').focus()
    await page.keyboard.press(' ')
    assert.equal(await section.getAttribute('data-state'), 'playing')
    await page.keyboard.press(' ')
    assert.equal(await section.getAttribute('data-state'), 'paused')

    /* A video started from outside (media keys, picture-in-picture) starts the whole attempt. */
    const before = await clockOf(page, 1)
    await section.locator('video[data-stream=webcam]').evaluate((video: HTMLVideoElement) => {
      /* The clock takes over at once (it may hold this very play() while the others catch up). */
      void video.play().catch(() => undefined)
    })
    await page.waitForTimeout(1500)
    assert.notEqual(await section.getAttribute('data-state'), 'paused')
    await section.locator('[data-action=play]').click()
    await settled(page, 1)
    for (const player of await players(page, 1)) assert.isAbove(player.time, before + 0.5, `${player.stream} played along`)
  }).timeout(90_000)

  test('a player still loading holds the clock until it can play', async ({ assert }) => {
    /* The screen recording of attempt 1 arrives 3 s late: play is pressed before it has a frame. */
    const screenId = await Recording.query().where('sessionId', session.id).where('stream', 'screen').orderBy('attemptId', 'asc').firstOrFail()
    const url = `**/staff/recordings/${screenId.id}/media`
    await page.route(url, async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 3000))
      await route.continue()
    })
    try {
      /* Not waiting for "load": a video still loading holds the page's load event. */
      await page.goto(`${server.url}/staff/sessions/${session.publicId}`, { waitUntil: 'domcontentloaded' })
      const section = page.locator('[data-sync][data-attempt="1"]')
      await page.waitForFunction(() => (document.querySelector('video[data-stream=webcam]') as HTMLVideoElement).readyState >= 2)
      await section.locator('[data-action=play]').click()
      await page.waitForTimeout(1500)
      assert.equal(await section.getAttribute('data-state'), 'waiting')
      assert.isAtMost(await clockOf(page, 1), 0.3, 'the clock waits for the screen')
      const early = await players(page, 1)
      for (const player of early.filter((p) => p.stream !== 'screen')) assert.isAtMost(player.time, 0.3, `${player.stream} waits too`)

      await page.waitForFunction(() => document.querySelector('[data-sync][data-attempt="1"]')!.getAttribute('data-state') === 'playing', null, { timeout: 15_000 })
      await page.waitForTimeout(3000)
      const list = await players(page, 1)
      assert.isAtMost(spread(list), 0.3, list.map((p) => `${p.stream} ${p.time.toFixed(2)}`).join(', '))
      assert.isAbove(Math.min(...list.map((p) => p.time)), 2)
      await section.locator('[data-action=play]').click()
    } finally {
      await page.unroute(url)
    }
  }).timeout(60_000)

  test('dragging along the timeline marks a range for an incident in exam time', async ({ assert }) => {
    await openReport()
    const track = page.locator('[data-sync][data-attempt="2"] [data-role=track]')
    await track.scrollIntoViewIfNeeded()
    const box = (await track.boundingBox())!
    /* Attempt 2 (exam time 1:00-1:20): from a quarter to three quarters of its 20 s. */
    await page.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2)
    await page.mouse.down()
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 })
    await page.mouse.move(box.x + box.width * 0.75, box.y + box.height / 2, { steps: 5 })
    await page.mouse.up()
    assert.isTrue(await page.locator('[data-sync][data-attempt="2"] [data-role=selection]').isVisible())
    const form = page.locator('[data-testid=incident-form]')
    assert.closeTo(Number(await form.locator('[data-incident-start]').inputValue()), 65, 0.3)
    assert.closeTo(Number(await form.locator('[data-incident-end]').inputValue()), 75, 0.3)
    await settled(page, 2)
    for (const player of await players(page, 2)) assert.closeTo(player.time, 5, 0.5, `${player.stream} at the range's start`)
    /* A plain click still only seeks, and clears the marked range. */
    await track.click({ position: { x: box.width * 0.5, y: box.height / 2 } })
    await settled(page, 2)
    for (const player of await players(page, 2)) assert.closeTo(player.time, 10, 0.5)
    assert.isFalse(await page.locator('[data-sync][data-attempt="2"] [data-role=selection]').isVisible())
  }).timeout(60_000)

  test('a recording the browser cannot play says so and the other players go on without it', async ({ assert }) => {
    const screen = await Recording.query().where('sessionId', session.id).where('stream', 'screen').orderBy('attemptId', 'asc').firstOrFail()
    const url = `**/staff/recordings/${screen.id}/media`
    await page.route(url, (route) => route.fulfill({ status: 200, contentType: 'video/webm', body: 'not a recording' }))
    try {
      await page.goto(`${server.url}/staff/sessions/${session.publicId}`)
      const section = page.locator('[data-sync][data-attempt="1"]')
      await section.locator('[data-role=cannot-play]:visible').waitFor()
      assert.equal(await section.locator('[data-role=cannot-play]:visible').count(), 1)
      assert.equal(await section.locator('figure:has(video[data-stream=screen]) [data-role=cannot-play]').isVisible(), true)
      assert.isFalse(await section.locator('video[data-stream=screen]').isVisible())
      await section.locator('[data-action=play]').click()
      await page.waitForTimeout(2500)
      assert.equal(await section.getAttribute('data-state'), 'playing')
      const list = (await players(page, 1)).filter((p) => p.stream !== 'screen')
      for (const player of list) assert.isAbove(player.time, 1.5, `${player.stream} plays`)
      assert.isAtMost(spread(list), 0.3)
      await section.locator('[data-action=play]').click()
    } finally {
      await page.unroute(url)
    }
  }).timeout(60_000)

  test('a violation found while the student is still in the exam appears on the timeline, the selected row kept', async ({ assert }) => {
    session.merge({ status: 'in_progress', endedAt: null })
    await session.save()
    let added: ProctoringEvent | undefined
    try {
      await openReport()
      const ranges = page.locator('[data-sync][data-attempt="1"] [data-role=range]')
      assert.equal(await ranges.count(), 3)
      await page.locator('[data-violation]').nth(1).click()
      const attempt = await Attempt.query().where('sessionId', session.id).where('number', 1).firstOrFail()
      added = await ProctoringEvent.create({
        sessionId: session.id,
        attemptId: attempt.id,
        type: 'looking_away',
        source: 'analysis',
        isViolation: true,
        startedAt: session.startedAt!.plus({ seconds: 15 }),
        endedAt: session.startedAt!.plus({ seconds: 17 }),
      })
      /* The live stream brings the new row; the timeline draws its range where it belongs. */
      await page.waitForFunction(() => document.querySelectorAll('[data-sync][data-attempt="1"] [data-role=range]').length === 4, null, { timeout: 15_000 })
      const range = page.locator('[data-sync][data-attempt="1"] [data-role=range][data-start="15"]')
      assert.equal(await range.count(), 1)
      assert.include(await range.getAttribute('class'), 'fam-face')
      assert.include(await range.getAttribute('aria-label'), 'Looking away')
      /* The voice row (0:20) is still the selected one: now the third. */
      assert.equal(await page.locator('[data-violation][aria-current]').getAttribute('data-start'), '20')
      await range.click()
      await settled(page, 1)
      for (const player of await players(page, 1)) assert.closeTo(player.time, 15, 0.5, `${player.stream} at the new range`)
    } finally {
      await added?.delete()
      session.merge({ status: 'finished', endedAt: session.startedAt!.plus({ seconds: 80 }) })
      await session.save()
    }
  }).timeout(60_000)

  test('the report with its players in kk, ru and en at 1280x720', async ({ assert }) => {
    for (const locale of LOCALES) {
      await page.goto(`${server.url}/staff/sessions/${session.publicId}?lang=${locale}`)
      await page.waitForFunction(() => [...document.querySelectorAll('video')].every((v) => v.readyState >= 2), null, { timeout: 20_000 })
      await page.locator('[data-violation]').nth(1).click()
      await settled(page, 1)
      /* Side by side: the three players of attempt 1 share one row. */
      const tops = await page.locator('[data-sync][data-attempt="1"] .player').evaluateAll((els) => els.map((el) => Math.round(el.getBoundingClientRect().top)))
      assert.lengthOf(new Set(tops), 1)
      assert.equal(await page.locator('[data-sync][data-attempt="2"] [data-empty-stream=screen]').count(), 1)
      for (const player of await players(page, 1)) assert.closeTo(player.time, 20, 0.5)
      await page.locator('[data-sync][data-attempt="1"]').scrollIntoViewIfNeeded()
      /* Let every player paint the frame it was moved to before the picture is taken. */
      await page.evaluate(() => Promise.all([...document.querySelectorAll('[data-sync] video')].map((v) => new Promise((resolve) => {
        ;(v as HTMLVideoElement).requestVideoFrameCallback(() => resolve(null))
        setTimeout(resolve, 1000)
      }))))
      await checkPage(page, `report-players-${locale}`, assert)
    }
  }).timeout(120_000)
})
