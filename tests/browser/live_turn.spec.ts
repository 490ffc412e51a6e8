import { test } from '@japa/runner'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import type { BrowserContext, Page } from 'playwright-core'
import ProctoringSession from '#models/proctoring_session'
import { AppServer, freePort } from '#tests/helpers/app_server'
import { launchBrowser } from '#tests/helpers/browser'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { logIn } from '#tests/helpers/page_checks'
import { StudentPage } from '#tests/helpers/student_page'
import { sleep, waitFor } from '#tests/helpers/wait'

/*
| TURN for students behind NAT (issue 12): a real coturn on loopback with a shared secret, and
| the app handing out time-limited credentials in coturn's REST scheme. With
| LIVE_ICE_POLICY=relay the browsers may reach the SFU only through coturn, so video that
| decodes proves coturn took the app's credentials.
*/

/** The candidate types of the pair the proctor's first tile receives on ('relay' = through TURN). */
function tilePairTypes(page: Page) {
  return page.evaluate(async () => {
    const view = [...(window as any).live.tiles.values()][0]
    const stats: RTCStatsReport = await view.consumers.get('webcam').getStats()
    const all = [...stats.values()]
    const transport = all.find((one) => one.type === 'transport' && one.selectedCandidatePairId)
    const pair = transport ? stats.get(transport.selectedCandidatePairId) : all.find((one) => one.type === 'candidate-pair' && one.nominated && one.state === 'succeeded')
    if (!pair) return null
    return { local: stats.get(pair.localCandidateId)?.candidateType, remote: stats.get(pair.remoteCandidateId)?.candidateType }
  })
}

test.group('Live video through TURN (coturn) with the app\'s time-limited credentials (issue 12)', (group) => {
  let coturn: ChildProcess
  let server: AppServer
  let browser: BrowserContext
  let coturnLog = ''

  group.setup(async () => {
    const port = await freePort()
    const secret = randomBytes(24).toString('hex')
    const low = 50_000 + Math.floor(Math.random() * 10_000)
    coturn = spawn(
      'turnserver',
      ['-n', '--listening-ip=127.0.0.1', `--listening-port=${port}`, '--relay-ip=127.0.0.1', '--use-auth-secret', `--static-auth-secret=${secret}`,
        '--realm=proctor.test', '--allow-loopback-peers', '--no-tls', '--no-dtls', '--no-cli', `--min-port=${low}`, `--max-port=${low + 200}`,
        '--log-file=stdout', '--simple-log', `--pidfile=/tmp/turnserver-${port}.pid`, `--userdb=/tmp/turnserver-${port}.db`],
      { stdio: ['ignore', 'pipe', 'pipe'] }
    )
    coturn.stdout!.on('data', (data) => (coturnLog += data))
    coturn.stderr!.on('data', (data) => (coturnLog += data))
    await waitFor('coturn to start', async () => coturnLog.includes('Total General servers') || coturn.exitCode !== null, 15_000)
    if (coturn.exitCode !== null) throw new Error(`coturn did not start:\n${coturnLog}`)
    server = await AppServer.start({ TURN_URLS: `turn:127.0.0.1:${port}?transport=udp`, TURN_SECRET: secret, LIVE_ICE_POLICY: 'relay' })
    browser = await launchBrowser()
    return async () => {
      await browser.close()
      await server.stop()
      coturn.kill('SIGTERM')
      await rm(`/tmp/turnserver-${port}.db`, { force: true })
    }
  })

  test('a student who can reach the SFU only through TURN publishes, and the proctor\'s tile decodes over TURN too', async ({ assert }) => {
    const { link, candidate } = await examWithCandidate({ requiresScreen: false, requiresFace: false, requiresDocument: false })
    const student = await StudentPage.open(browser, `${server.url}${link}`)
    await student.passChecks()
    await student.acceptRules()
    await student.step('ready').waitFor({ state: 'visible' })
    await student.start()
    await student.page.waitForFunction(() => document.body.dataset.live === 'connected', undefined, { timeout: 30_000 })
    const session = await ProctoringSession.query().where('candidateId', candidate.id).firstOrFail()

    const { user, password } = await staffUser('proctor')
    const proctor = await browser.newPage()
    await logIn(proctor, server.url, user, password, 'en')
    await proctor.goto(`${server.url}/staff/live`)
    const added = await proctor.evaluate(async (id) => {
      const csrf = JSON.parse(document.body.getAttribute('hx-headers')!)['x-csrf-token']
      const response = await fetch('/staff/live/watch', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify({ session: id }) })
      return response.status
    }, session.publicId)
    assert.equal(added, 200)
    await proctor.reload()
    await waitFor('the tile to decode through TURN', async () => {
      const frames = await proctor.evaluate(async () => {
        const view = [...(window as any).live.tiles.values()][0]
        const consumer = view?.consumers.get('webcam')
        if (!consumer) return 0
        for (const report of (await consumer.getStats()).values()) if (report.type === 'inbound-rtp') return report.framesDecoded ?? 0
        return 0
      })
      if (!frames) return false
      await sleep(1000)
      return true
    }, 45_000)
    const pair = await tilePairTypes(proctor)
    assert.equal(pair?.local, 'relay', 'the proctor reaches the SFU through coturn')
  }).timeout(180_000)
})
