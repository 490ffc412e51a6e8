import { test } from '@japa/runner'
import { readFile } from 'node:fs/promises'
import ExcelJS from 'exceljs'
import { launchBrowser } from '#tests/helpers/browser'
import { logIn, SHOTS, appAndBrowser } from '#tests/helpers/page_checks'
import { staffUser } from '#tests/helpers/fixtures'
import { iinCheckDigit } from '#services/iin'
import Candidate from '#models/candidate'
import Group from '#models/group'

const STAMP = Date.now().toString(36)
const TITLE_KK = `Қазақстан тарихы ${STAMP}`
const RULES_KK = 'Жауап парағын камераға көрсетіңіз.'

/** Valid IINs (check digit computed), distinct in this run. */
function iins(count: number) {
  const found: string[] = []
  for (let n = 1; found.length < count; n++) {
    const first = `95${String(Date.now() % 1e5).padStart(5, '0')}${String(n).padStart(4, '0')}`
    const check = iinCheckDigit(first)
    if (check !== null) found.push(`${first}${check}`)
  }
  return found
}

/** 300 candidates in 10 groups, as a dean's office would send them. */
async function roster() {
  const workbook = new ExcelJS.Workbook()
  const sheet = workbook.addWorksheet('Студенттер')
  sheet.addRow(['full_name', 'group', 'iin', 'email', 'external_id'])
  const ids = iins(300)
  for (let i = 0; i < 300; i++) {
    const group = `ЖМ-${STAMP}-${String(Math.floor(i / 30) + 1).padStart(2, '0')}`
    sheet.addRow([`Әлібек Қанатұлы ${i + 1}`, group, ids[i], `student${i + 1}.${STAMP}@kaznmu.kz`, `${STAMP}-${i + 1}`])
  }
  return Buffer.from(await workbook.xlsx.writeBuffer())
}

test.group('Preparing an exam through the web panel', (group) => {
  const pages = appAndBrowser(group)

  test('an admin creates an exam, imports 300 candidates in 10 groups, issues and downloads one group\'s links; a student sees that exam in Kazakh', async ({ assert }) => {
    const { user, password } = await staffUser('admin')
    const page = await pages.browser.newPage()
    await logIn(page, pages.server.url, user, password, 'ru')

    /* The exam, with its titles and its own rules in Kazakh. */
    await page.goto(`${pages.server.url}/staff/exams/new`)
    await page.locator('input[name=titleKk]').fill(TITLE_KK)
    await page.locator('input[name=titleRu]').fill(`История Казахстана ${STAMP}`)
    await page.locator('textarea[name=rulesKk]').fill(RULES_KK)
    await page.locator('input[name=durationMinutes]').fill('90')
    await page.locator('input[name=violationLimit]').fill('5')
    await page.locator('input[name=examUrl]').fill('https://moodle.kaznmu.kz/mod/quiz/view.php?id=4512')
    await page.locator('form.exams-form button[type=submit]').click()
    await page.waitForLoadState('networkidle')
    const errors = await page.locator('.field-error').allInnerTexts()
    assert.deepEqual(errors, [], 'the exam form took the settings')
    assert.include(await page.locator('main').innerText(), `История Казахстана ${STAMP}`, 'the new exam is listed')

    /* The roster from an XLSX file: preview, then one import. */
    await page.goto(`${pages.server.url}/staff/candidates/import`)
    await page.locator('input[name=file]').setInputFiles({ name: 'roster.xlsx', mimeType: 'application/octet-stream', buffer: await roster() })
    await page.locator('form[action="/staff/candidates/import"] button[type=submit]').click()
    await page.waitForURL(/\/staff\/candidates\/import\/[0-9a-f]{32}$/)
    assert.isFalse(await page.locator('[data-testid=import-apply]').isDisabled(), 'a clean file can be imported')
    await page.screenshot({ path: `${SHOTS}/prepare-import-preview-ru.png` })
    await page.locator('[data-testid=import-apply]').click()
    await page.waitForURL('**/staff/candidates')
    const groups = await Group.query().where('name', 'like', `ЖМ-${STAMP}-%`)
    assert.lengthOf(groups, 10)
    const imported = await Candidate.query().whereIn('groupId', groups.map((g) => g.id))
    assert.lengthOf(imported, 300)

    /* The links of one group, issued at once, then downloaded. */
    const chosen = groups.find((g) => g.name.endsWith('-03'))!
    await page.goto(`${pages.server.url}/staff/links`)
    await page.locator('select[name="examIds[]"]').selectOption({ label: `История Казахстана ${STAMP}` })
    await page.locator('select[name=groupId]').selectOption({ label: chosen.name })
    await page.locator('[data-testid=issue-form] button[type=submit]').click()
    await page.waitForLoadState('networkidle')
    assert.include(await page.locator('[data-testid=issued-count]').innerText(), '30')
    await page.screenshot({ path: `${SHOTS}/prepare-links-issued-ru.png` })
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=download-xlsx]').click()])
    const workbook = new ExcelJS.Workbook()
    await workbook.xlsx.load((await readFile((await download.path())!)) as any)
    const urls: string[] = []
    workbook.worksheets[0].eachRow((row) => {
      row.eachCell((cell) => {
        const text = String((cell.value as any)?.hyperlink ?? (cell.value as any)?.text ?? cell.value ?? '')
        if (text.startsWith('http')) urls.push(text)
      })
    })
    const groupRows: string[] = []
    workbook.worksheets[0].eachRow((row) => {
      const values = (row.values as unknown[]).map((v) => String((v as any)?.text ?? v ?? ''))
      if (values.some((v) => v === chosen.name)) groupRows.push(values.join(' | '))
    })
    assert.lengthOf(groupRows, 30, 'the download holds the group\'s 30 links')
    assert.isAtLeast(urls.length, 30)
    assert.isTrue(urls.every((url) => url.startsWith(pages.server.url)), 'links are built from APP_URL')

    /* A student of that group opens their link in a Kazakh browser of their own. */
    const own = await launchBrowser()
    const student = await own.newPage()
    await student.setExtraHTTPHeaders({ 'accept-language': 'kk' })
    await student.goto(urls[0])
    await student.waitForLoadState('networkidle')
    const text = await student.locator('body').innerText()
    assert.include(text, TITLE_KK)
    assert.notInclude(text, `История Казахстана ${STAMP}`)
    assert.include(await student.content(), RULES_KK)
    await student.screenshot({ path: `${SHOTS}/prepare-student-kk.png` })
    await own.close()
  }).timeout(240_000)
})
