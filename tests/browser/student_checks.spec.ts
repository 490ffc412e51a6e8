import { test } from '@japa/runner'
import ConnectionCheck from '#models/connection_check'
import IdentityCheck from '#models/identity_check'
import ProctoringSession from '#models/proctoring_session'
import { AppServer } from '#tests/helpers/app_server'
import { launchBrowser } from '#tests/helpers/browser'
import { examWithCandidate } from '#tests/helpers/fixtures'
import { emptyCameraVideo, groupCameraVideo } from '#tests/helpers/media'
import { StudentPage } from '#tests/helpers/student_page'

async function sessionOf(candidateId: number) {
  return ProctoringSession.query().where('candidateId', candidateId).firstOrFail()
}

test.group('Student: system check and identity photo', (group) => {
  let server: AppServer
  group.setup(async () => {
    server = await AppServer.start()
    return () => server.stop()
  })

  test('a window share is refused with its fix, and every check is logged (window share told to the page: headless Chromium shares only the entire screen)', async ({ assert }) => {
    const browser = await launchBrowser()
    try {
      const { link, candidate } = await examWithCandidate()
      const page = await browser.newPage()
      /* Chromium's fake picker always shares the entire screen; make it answer "a window". */
      await page.addInitScript(() => {
        const original = navigator.mediaDevices.getDisplayMedia.bind(navigator.mediaDevices)
        navigator.mediaDevices.getDisplayMedia = async (options) => {
          const stream = await original(options)
          const track = stream.getVideoTracks()[0]
          const settings = track.getSettings.bind(track)
          track.getSettings = () => ({ ...settings(), displaySurface: 'window' })
          return stream
        }
      })
      await page.goto(`${server.url}${link}?lang=ru`)
      const student = new StudentPage(page)
      await student.runChecks()

      const screen = student.checkRow('screen')
      assert.include(await screen.getAttribute('class'), 'fail')
      assert.include(await screen.locator('[data-fix="SCREEN_NOT_ENTIRE"]').textContent(), 'выберите вкладку «Весь экран»')
      assert.isFalse(await page.locator('[data-action="checks-continue"]').isVisible(), 'no way on until it is fixed')
      for (const item of ['browser', 'camera', 'microphone', 'upload_speed']) {
        assert.include(await student.checkRow(item).getAttribute('class'), 'ok', item)
      }

      const session = await sessionOf(candidate.id)
      const logged = await ConnectionCheck.query().where('sessionId', session.id)
      assert.sameMembers(logged.map((c) => c.item), ['browser', 'camera', 'microphone', 'screen', 'upload_speed', 'single_monitor'])
      const screenCheck = logged.find((c) => c.item === 'screen')!
      assert.isFalse(screenCheck.passed)
      assert.equal(screenCheck.errorCode, 'SCREEN_NOT_ENTIRE')
      assert.isAtLeast(Number(logged.find((c) => c.item === 'upload_speed')!.details?.mbps), 1)
    } finally {
      await browser.close()
    }
  })

  for (const [name, video, reason, words] of [
    ['two faces', groupCameraVideo, 'MANY_FACES', 'несколько лиц'],
    ['no face', emptyCameraVideo, 'NO_FACE', 'не найдено лицо'],
  ] as const) {
    test(`the face check refuses a photo with ${name} and says why`, async ({ assert }) => {
      const browser = await launchBrowser({ videoFile: await video() })
      try {
        const { link, candidate } = await examWithCandidate()
        const student = await StudentPage.open(browser, `${server.url}${link}?lang=ru`)
        await student.passChecks()
        await student.acceptRules()
        const refusal = await student.sendPhoto('face')
        assert.include(refusal ?? '', words)
        assert.isTrue(await student.step('face').isVisible(), 'the student stays on the photo step')

        const session = await sessionOf(candidate.id)
        const checks = await IdentityCheck.query().where({ sessionId: session.id, kind: 'face' })
        assert.lengthOf(checks, 1)
        assert.equal(checks[0].result, 'rejected')
        assert.equal(checks[0].reason, reason)
      } finally {
        await browser.close()
      }
    })
  }
})
