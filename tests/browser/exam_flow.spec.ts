import { test } from '@japa/runner'
import { createHash } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import { chunkBytes } from '#services/chunk_files'
import { dataDir } from '#config/paths'
import type { BrowserContext } from 'playwright-core'
import ProctoringSession from '#models/proctoring_session'
import Recording from '#models/recording'
import { AppServer, WorkerProcess } from '#tests/helpers/app_server'
import { launchBrowser } from '#tests/helpers/browser'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { StudentPage } from '#tests/helpers/student_page'
import { sleep, waitFor } from '#tests/helpers/wait'
import { faceCameraVideo } from '#tests/helpers/media'

test.group('An exam from the student link to the proctor report', (group) => {
  let server: AppServer
  let worker: WorkerProcess
  let browser: BrowserContext

  group.setup(async () => {
    server = await AppServer.start()
    worker = WorkerProcess.start()
    browser = await launchBrowser({ videoFile: await faceCameraVideo() })
    return async () => {
      await browser.close()
      await worker.stop()
      await server.stop()
    }
  })

  test('a student records a 20-second exam and a proctor plays both recordings', async ({ assert }) => {
    const { link, candidate } = await examWithCandidate({ title: 'Физиология — итоговый' })
    const student = await StudentPage.open(browser, `${server.url}${link}`)
    await student.getReady()
    await student.start()
    await sleep(20_000)
    await student.finish()
    await student.page.close()

    const session = await ProctoringSession.query().where('candidateId', candidate.id).firstOrFail()
    assert.equal(session.status, 'finished')
    const recordings = await waitFor('both recordings to be processed', async () => {
      const rows = await Recording.query().where('sessionId', session.id)
      return rows.length === 2 && rows.every((r) => r.status === 'ready') && rows
    })
    await waitFor('the credibility score', async () => {
      await session.refresh()
      return session.credibility !== null
    })
    for (const recording of recordings) {
      assert.equal(recording.chunkCount, recording.expectedChunks, `${recording.stream} chunks`)
      assert.isAtLeast(recording.durationSeconds!, 17, `${recording.stream} duration`)
      assert.isAtMost(recording.durationSeconds!, 24, `${recording.stream} duration`)
    }

    const { user, password } = await staffUser('proctor')
    const page = await browser.newPage()
    await page.goto(`${server.url}/login?lang=en`)
    await page.getByLabel('E-mail').fill(user.email)
    await page.getByLabel('Password').fill(password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL('**/staff/results')

    const row = page.locator(`tr[data-session="${session.publicId}"]`)
    assert.include(await row.textContent(), candidate.fullName)
    assert.include(await row.textContent(), 'Finished')
    assert.include(await row.textContent(), 'Физиология — итоговый')
    await row.getByRole('link', { name: 'View' }).click()
    await page.waitForURL(`**/staff/sessions/${session.publicId}`)
    assert.match((await page.getByTestId('credibility').textContent()) ?? '', /^\d+(\.\d)? %$/)

    for (const stream of ['webcam', 'screen']) {
      const video = page.locator(`video[data-stream="${stream}"]`)
      await video.evaluate((el: HTMLVideoElement) => el.play())
      await sleep(2500)
      const state = await video.evaluate((el: HTMLVideoElement) => ({
        time: el.currentTime,
        width: el.videoWidth,
        height: el.videoHeight,
        duration: el.duration,
        error: el.error?.message ?? null,
      }))
      assert.isNull(state.error, `${stream} error`)
      assert.isAbove(state.time, 1, `${stream} time advances`)
      assert.isAbove(state.width, 0, `${stream} has a picture`)
      assert.isAbove(state.height, 0, `${stream} has a picture`)
      assert.approximately(state.duration, 20, 4, `${stream} is seekable to its full length`)
    }
    await page.screenshot({ path: 'tmp/screenshots/report-players.png' })
    await page.close()
  })

  test('an upload cut by kill -9 of the server loses no chunk: stored bytes match what the browser recorded', async ({ assert }) => {
    const { link, candidate } = await examWithCandidate({ title: 'Биохимия — рубежный контроль' })
    const student = await StudentPage.open(browser, `${server.url}${link}`)
    await student.getReady()
    await student.start()
    await sleep(4_000)

    /* Slow uploads down so that the kill lands in the middle of one. */
    await student.throttleUploads(25_000)
    /* A webcam chunk (~100 KB) takes seconds at this rate: time enough to kill in its middle. */
    const cut = await waitFor('a webcam chunk in flight', async () => {
      const sending = await student.sending()
      return sending?.stream === 'webcam' && sending.size > 50_000 && sending
    }, 30_000)
    await sleep(300)
    assert.deepEqual(await student.sending(), cut, 'the kill lands while a chunk is on the wire')
    await server.kill()
    await student.throttleUploads(0)
    /* The student keeps recording while the server is gone: chunks wait in IndexedDB. */
    await waitFor('chunks to pile up while the server is down', async () => (await student.pendingCount()) >= 3, 30_000)
    assert.match((await student.uploadState()) ?? '', /No connection|waiting/)
    await server.start()

    await waitFor('the backlog to drain', async () => (await student.pendingCount()) === 0, 60_000)
    await sleep(3_000)
    await student.finish()
    const ledger = await student.ledger()
    await student.page.close()

    const session = await ProctoringSession.query().where('candidateId', candidate.id).firstOrFail()
    const stored = await db
      .from('recording_chunks')
      .join('recordings', 'recordings.id', 'recording_chunks.recording_id')
      .join('attempts', 'attempts.id', 'recordings.attempt_id')
      .where('recordings.session_id', session.id)
      .select('attempts.number as attempt', 'recordings.stream', 'recording_chunks.seq', 'recording_chunks.sha256', 'recording_chunks.size', 'recording_chunks.path', 'recording_chunks.byte_offset as byteOffset')
    const key = (c: { attempt: number; stream: string; seq: number }) => `${c.attempt}/${c.stream}/${c.seq}`
    assert.isAbove(ledger.length, 8)
    assert.sameMembers(stored.map(key), ledger.map(key), 'every recorded chunk is stored, and nothing else')
    for (const entry of ledger) {
      const row = stored.find((c) => key(c) === key(entry))!
      const bytes = await chunkBytes(dataDir, row)
      assert.equal(bytes.length, entry.size, `${key(entry)} size`)
      assert.equal(createHash('sha256').update(bytes).digest('hex'), entry.sha256, `${key(entry)} bytes`)
    }
  })

  test('chunks kept in IndexedDB while uploads fail are sent after a page reload', async ({ assert }) => {
    const { link, candidate } = await examWithCandidate({ title: 'Микробиология — зачёт' })
    const student = await StudentPage.open(browser, `${server.url}${link}`)
    await student.getReady()
    await student.start()
    /* Every upload fails from now on, as on a dead network; the page keeps recording. */
    await student.page.route('**/chunks/**', (route) => route.abort('internetdisconnected'))
    await waitFor('chunks to wait in IndexedDB', async () => (await student.pendingCount()) >= 4, 30_000)
    const ledger = await student.ledger()
    const session = await ProctoringSession.query().where('candidateId', candidate.id).firstOrFail()
    const before = await db.from('recording_chunks').join('recordings', 'recordings.id', 'recording_chunks.recording_id').where('recordings.session_id', session.id).count('* as n')
    assert.isBelow(Number(before[0].n), ledger.length, 'some chunks are not on the server yet')

    await student.page.unroute('**/chunks/**')
    await student.page.reload()
    await waitFor('the kept chunks to be sent after the reload', async () => (await student.pendingCount().catch(() => 1)) === 0, 60_000)
    const stored = await db
      .from('recording_chunks')
      .join('recordings', 'recordings.id', 'recording_chunks.recording_id')
      .where('recordings.session_id', session.id)
      .select('recordings.stream', 'recording_chunks.seq', 'recording_chunks.sha256')
    for (const entry of ledger) {
      const row = stored.find((c) => c.stream === entry.stream && c.seq === entry.seq)
      assert.equal(row?.sha256, entry.sha256, `${entry.stream}/${entry.seq} arrived intact`)
    }
    await student.page.close()
  })
})
