import { test } from '@japa/runner'
import { randomUUID } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { DateTime } from 'luxon'
import type { Page } from 'playwright-core'
import { checkPage, logIn, SHOTS, appAndBrowser } from '#tests/helpers/page_checks'
import { staffUser } from '#tests/helpers/fixtures'
import { LOCALES } from '#services/locale'
import { dataDir } from '#config/paths'
import Exam from '#models/exam'
import Group from '#models/group'
import Candidate from '#models/candidate'
import Discipline from '#models/discipline'
import IdentityCheck from '#models/identity_check'
import ProctoringSession, { type Decision, type SessionStatus } from '#models/proctoring_session'

const NAMES = [
  'Әлиева Аружан Серікқызы', 'Нұрланов Ерасыл Бауыржанұлы', 'Иванова Мария Сергеевна', 'Омарова Дана Маратқызы',
  'Сейтқали Арман Нұрланұлы', 'Ким Александр Викторович', 'Абдукаримова Зарина', 'Қаналбекова Ұлдана Ақылбекқызы',
]

/** A face photo as the camera step stores it (a coloured test picture, 320x240). */
async function facePhoto(name: string) {
  const relative = join('photos', `results-look-${name}.jpg`)
  await mkdir(join(dataDir, 'photos'), { recursive: true })
  await promisify(execFile)('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=1', '-frames:v', '1', join(dataDir, relative)])
  return relative
}

/** Eight candidates in two groups, two exams, sessions in every status, decision and credibility band. */
async function seed() {
  const token = Date.now().toString(36).slice(-4)
  const groups = [await Group.create({ name: `ЖМ-21-${token}` }), await Group.create({ name: `СТ-22-${token}` })]
  const discipline = await Discipline.create({ name: `Фармакология (${token})` })
  const base = { durationMinutes: 45, violationLimit: 3, reconnectWindowSeconds: 300, requiresScreen: true, requiresPhone: false, weights: {}, rules: { allowed: [], forbidden: [] } }
  const exams = [
    await Exam.create({ ...base, title: `Фармакология, итоговый тест (${token})`, titleKk: `Фармакология, қорытынды тест (${token})`, titleRu: `Фармакология, итоговый тест (${token})`, titleEn: `Pharmacology, final test (${token})`, passThreshold: 70, disciplineId: discipline.id } as any),
    await Exam.create({ ...base, title: `Экология (${token})`, passThreshold: 60 } as any),
  ]
  const photo = await facePhoto(token)
  const statuses: SessionStatus[] = ['finished', 'finished', 'in_progress', 'stopped', 'finished', 'not_started', 'finished', 'finished']
  const decisions: Decision[] = ['accepted', 'none', 'none', 'rejected', 'review', 'none', 'none', 'accepted']
  const credibility = [96, 74, null, 31, 62, null, 88, 100]
  for (const [i, name] of NAMES.entries()) {
    const candidate = await Candidate.create({ fullName: name, groupId: groups[i % 2].id, iin: `0${String(301015000 + i).padStart(10, '0')}`.slice(-12), externalId: `look-${token}-${i}` })
    for (let sitting = 0; sitting < (i % 3 === 0 ? 3 : 1); sitting++) {
      const start = DateTime.fromISO('2026-05-03T09:00:00').plus({ hours: i * 5 + sitting * 26, minutes: i * 7 })
      const status = sitting > 0 ? 'finished' : statuses[i]
      const session = await ProctoringSession.create({
        publicId: randomUUID(), examId: exams[(i + sitting) % 2].id, candidateId: candidate.id, status,
        startedAt: status === 'not_started' ? null : start, endedAt: status === 'finished' || status === 'stopped' ? start.plus({ minutes: 38 }) : null,
        credibility: sitting > 0 ? 80 - sitting * 15 : credibility[i], decision: sitting > 0 ? 'none' : decisions[i],
        endReason: status === 'stopped' ? 'violation_limit' : status === 'finished' ? 'finished_by_student' : null,
        viewedAt: i % 2 === 0 && status !== 'not_started' ? start.plus({ days: 1 }) : null, archived: false, violationCount: 0,
      })
      if (status !== 'not_started' && i !== 4) await IdentityCheck.create({ sessionId: session.id, kind: 'face', photoPath: photo, result: 'accepted' } as any)
    }
  }
  return { token, groups, exams }
}

/** Every start and end date fits on one line. */
async function datesOnOneLine(page: Page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('td.date-cell')]
      .filter((cell) => (cell as HTMLElement).offsetParent !== null && cell.textContent!.trim().length > 1)
      .filter((cell) => {
        const range = document.createRange()
        range.selectNodeContents(cell)
        return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size > 1
      })
      .map((cell) => cell.textContent!.trim())
  )
}

test.group('Results pages at 1280x720 in kk, ru and en (issue 9)', (group) => {
  const pages = appAndBrowser(group)

  test('results plain, filtered and grouped; sorting by a header; a decision set from a row', async ({ assert }) => {
    const world = await seed()
    /* The results page is the proctor's; an admin's rows add the retake button (its width is checked too). */
    const { user, password } = await staffUser('proctor')
    const admin = await staffUser('admin')
    const page = await pages.browser.newPage()
    await page.setViewportSize({ width: 1280, height: 720 })
    for (const locale of LOCALES) {
      await page.context().clearCookies()
      await logIn(page, pages.server.url, user, password, locale)

      /* Plain: every column, the face thumbnails loaded. */
      await page.goto(`${pages.server.url}/staff/results?exam=${world.token}`)
      await page.waitForFunction(() => [...document.querySelectorAll('img.thumb')].every((img) => (img as HTMLImageElement).complete))
      assert.isAbove(await page.locator('img.thumb').count(), 0)
      assert.isTrue(await page.locator('img.thumb').first().evaluate((img) => (img as HTMLImageElement).naturalWidth > 0))
      assert.deepEqual(await datesOnOneLine(page), [], `${locale}: dates on one line`)
      await checkPage(page, `results-plain-${locale}`, assert)

      /* Sorting by a header: the URL and aria-sort follow. */
      await page.locator('th[data-sort="credibility"] a').click()
      await page.waitForURL(/sort=credibility/)
      assert.equal(await page.locator('th[data-sort="credibility"]').getAttribute('aria-sort'), 'descending')

      /* Filtered through the form: the table changes in place, the URL keeps the state. */
      await page.locator('select[name="status"]').selectOption('finished')
      await page.waitForURL(/status=finished/)
      await page.locator('input[name="cmin"]').fill('60')
      await page.locator('input[name="cmin"]').blur()
      await page.waitForURL(/cmin=60/)
      await page.waitForLoadState('networkidle')
      const statuses = await page.locator('tr[data-session] [data-status]').evaluateAll((els) => els.map((el) => el.getAttribute('data-status')))
      assert.isAbove(statuses.length, 0)
      assert.isTrue(statuses.every((s) => s === 'finished'))
      assert.include(page.url(), 'sort=credibility')
      /* The address bar holds the state without empty fields; the language switch and the grouping links follow it. */
      assert.notInclude(page.url(), 'q=&')
      assert.include(await page.locator('#lang-switch a').first().getAttribute('href'), 'status=finished')
      assert.include(await page.locator('[data-testid="group-student"]').getAttribute('href'), 'status=finished')
      assert.deepEqual(await datesOnOneLine(page), [], `${locale}: filtered dates on one line`)
      await checkPage(page, `results-filtered-${locale}`, assert)

      /* A decision set from a row: the cell changes in place. */
      const row = page.locator('tr[data-session]').first()
      await row.locator('.decision-pop summary').click()
      const pop = row.locator('details.decision-pop[open]')
      await pop.locator('select[name="decision"]').selectOption('review')
      await pop.locator('textarea[name="comment"]').fill(`check ${locale}`)
      await pop.locator('button[type="submit"]').click()
      await page.waitForFunction((id) => document.querySelector(`tr[data-session="${id}"] .decision-cell`)?.getAttribute('data-decision') === 'review', await row.getAttribute('data-session'))

      /* Grouped by student: a row per student with the count; one expanded. */
      await page.goto(`${pages.server.url}/staff/results?exam=${world.token}&group_by=student`)
      const first = page.locator('tbody.student-group').first()
      assert.isAbove(Number(await first.getAttribute('data-count')), 0)
      assert.isTrue(await first.locator('tr[data-student-session]').first().isHidden())
      await first.locator('button.expand').click()
      assert.isTrue(await first.locator('tr[data-student-session]').first().isVisible())
      assert.equal(await first.locator('button.expand').getAttribute('aria-expanded'), 'true')
      await checkPage(page, `results-grouped-${locale}`, assert)
    }

    /* An admin's rows (with the retake button) still fit the page's width. */
    for (const locale of LOCALES) {
      await page.context().clearCookies()
      await logIn(page, pages.server.url, admin.user, admin.password, locale)
      await page.goto(`${pages.server.url}/staff/results?exam=${world.token}`)
      assert.isAbove(await page.locator('[data-testid="retake"]').count(), 0)
      await page.screenshot({ path: `${SHOTS}/results-admin-${locale}.png` })
      const right = await page.locator('table.results-table').evaluate((table) => table.getBoundingClientRect().right)
      assert.isAtMost(right, 1280, `${locale}: the admin's results table fits`)
      assert.deepEqual(await datesOnOneLine(page), [], `${locale}: admin dates on one line`)
    }
    await page.close()
  }).timeout(180_000)

  test("the report's decision panel: a refused comment comes back with its error in place, a decision joins the history", async ({ assert }) => {
    const world = await seed()
    const { user, password } = await staffUser('proctor')
    const page = await pages.browser.newPage()
    await page.setViewportSize({ width: 1280, height: 720 })
    const sessions = await ProctoringSession.query().whereIn('examId', world.exams.map((e) => e.id)).where('status', 'finished').whereNot('decision', 'rejected').orderBy('id').limit(LOCALES.length)
    for (const [index, locale] of LOCALES.entries()) {
      await page.context().clearCookies()
      await logIn(page, pages.server.url, user, password, locale)
      await page.goto(`${pages.server.url}/staff/sessions/${sessions[index].publicId}`)
      const panel = page.locator('[data-testid="decision-panel"]')
      await panel.waitFor()
      assert.equal(await panel.locator('[data-testid="decision-history-empty"]').count(), 1)

      /* A comment with a hidden character is refused: the form comes back with its error, nothing saved. */
      await panel.locator('select[name="decision"]').selectOption('rejected')
      await panel.locator('textarea[name="comment"]').fill('Второй человек\u200bв кадре')
      await panel.locator('button[type="submit"]').click()
      await page.locator('[data-testid="decision-panel"] .field-error[data-error-for="comment"]').waitFor()
      assert.equal(await page.locator('[data-testid="decision-panel"] .field-error[data-error-for="decision"]').count(), 0)
      await page.locator('[data-testid="decision-panel"]').screenshot({ path: `${SHOTS}/decision-panel-error-${locale}.png` })
      assert.equal(await page.locator('[data-testid="decision-panel"]').getAttribute('data-decision'), sessions[index].decision)
      assert.equal(await page.locator('[data-testid="decision-panel"] select[name="decision"]').inputValue(), 'rejected')

      /* Corrected: saved, shown as current, and in the history with who and what changed. */
      await page.locator('[data-testid="decision-panel"] textarea[name="comment"]').fill('Второй человек в кадре, 12:04')
      await page.locator('[data-testid="decision-panel"] button[type="submit"]').click()
      await page.locator('[data-testid="decision-history"] tr[data-decision-row="rejected"]').waitFor()
      assert.equal(await page.locator('[data-testid="decision-panel"]').getAttribute('data-decision'), 'rejected')
      assert.include(await page.locator('[data-testid="decision-history"]').innerText(), user.fullName)
      await page.locator('[data-testid="decision-panel"]').screenshot({ path: `${SHOTS}/decision-panel-${locale}.png` })
      await sessions[index].refresh()
      assert.equal(sessions[index].decision, 'rejected')
    }
    await page.close()
  }).timeout(120_000)
})
