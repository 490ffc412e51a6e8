import { test } from '@japa/runner'
import ExcelJS from 'exceljs'
import db from '@adonisjs/lucid/services/db'
import { checkPage, logIn, appAndBrowser } from '#tests/helpers/page_checks'
import { staffUser } from '#tests/helpers/fixtures'
import { LOCALES } from '#services/locale'
import { iinCheckDigit } from '#services/iin'
import Candidate from '#models/candidate'


let serial = 0
function iin() {
  for (;;) {
    const first = `0${String(3_0101_5000 + ++serial * 7).padStart(10, '0')}`.slice(-11)
    const check = iinCheckDigit(first)
    if (check !== null) return `${first}${check}`
  }
}

const NAMES = ['Әлиева Аружан Серікқызы', 'Нұрланов Ерасыл Бауыржанұлы', 'Иванова Мария Сергеевна', 'Омарова Дана Маратқызы', 'Сейтқали Арман Нұрланұлы', 'Ким Александр Викторович']

async function studentsXlsx(locale: string) {
  const workbook = new ExcelJS.Workbook()
  const sheet = workbook.addWorksheet('students')
  sheet.addRow(['full_name', 'group', 'iin', 'email', 'external_id'])
  for (let i = 0; i < 36; i++) {
    sheet.addRow([`${NAMES[i % NAMES.length]} ${locale}${i + 1}`, `ЖМ-${locale}-${(i % 3) + 1}`, iin(), `s${i + 1}.${locale}@kaznmu.kz`, `${locale}-${1000 + i}`])
  }
  return Buffer.from(await workbook.xlsx.writeBuffer())
}

test.group('Candidates, import and directory pages at 1280x720 in kk, ru and en', (group) => {
  const pages = appAndBrowser(group)

  test('candidates list (empty and filled), the form with its errors, the import preview with its errors, the directory', async ({ assert }) => {
    const { user, password } = await staffUser('admin')
    const page = await pages.browser.newPage()
    const [{ n }] = await db.from('candidates').count('* as n')
    for (const locale of LOCALES) {
      await page.context().clearCookies()
      await logIn(page, pages.server.url, user, password, locale)

      /* The empty list in every language, while no candidate exists yet (this file run on its own). */
      if (Number(n) === 0 && locale === LOCALES[0]) {
        for (const empty of LOCALES) {
          await page.goto(`${pages.server.url}/staff/candidates?lang=${empty}`)
          assert.equal(await page.locator('[data-testid=candidates-empty]').count(), 1)
          await checkPage(page, `candidates-empty-${empty}`, assert)
          await page.goto(`${pages.server.url}/staff/directory`)
          await checkPage(page, `directory-empty-${empty}`, assert)
        }
      }
      /* A candidate from an LMS with long ids (first in the list): the table wraps them, not the page. */
      await Candidate.firstOrCreate(
        { externalId: `lti-${'7f3c9a2b'.repeat(8)}` },
        { fullName: 'AAA Long Identifiers', email: `a.very.long.mailbox.name.for.testing.wrapping@${'faculty.'.repeat(4)}kaznmu.kz` }
      )
      /* A whole faculty: dozens of pages still make one short row of page links. */
      if ((await Candidate.query().where('externalId', 'like', 'faculty-%').count('* as n'))[0].$extras.n === 0) {
        await Candidate.createMany(Array.from({ length: 900 }, (_, i) => ({ fullName: `Студент ${i + 1}`, externalId: `faculty-${i + 1}` })))
      }
      await page.goto(`${pages.server.url}/staff/candidates?lang=${locale}`)

      /* The form, sent with three mistakes: each error beside its field, the form kept. */
      await page.goto(`${pages.server.url}/staff/candidates/new`)
      await page.locator('input[name=iin]').fill('900101300018')
      await page.locator('input[name=email]').fill('aruzhan@')
      await page.locator('input[name=externalId]').fill('st-000123')
      await page.locator('form.form-stack button[type=submit]').click()
      await page.waitForLoadState('networkidle')
      assert.equal(await page.locator('[data-field-error]').count(), 3)
      assert.equal(await page.locator('input[name=externalId]').inputValue(), 'st-000123')
      await checkPage(page, `candidates-form-errors-${locale}`, assert)

      /* An import with mistakes: the preview lists them, the import button is disabled. */
      await page.goto(`${pages.server.url}/staff/candidates/import`)
      await checkPage(page, `candidates-import-${locale}`, assert)
      const bad = [
        'full_name;group;iin;email;external_id;phone',
        `Әлиева Аружан;ЖМ-1;${iin()};aruzhan@kaznmu.kz;;`,
        'Нұрланов Ерасыл;ЖМ-1;900101300018;;;',
        ';ЖМ-1;;;st-7;',
        `Иванова Мария;ЖМ-2;${iin()};maria@;;`,
        'Омарова Дана;ЖМ-2;;;;',
      ].join('\n')
      await page.locator('input[name=file]').setInputFiles({ name: 'students.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) })
      await page.locator('form[action="/staff/candidates/import"] button[type=submit]').click()
      await page.waitForURL(/\/staff\/candidates\/import\/[0-9a-f]{32}$/)
      assert.isTrue(await page.locator('[data-testid=import-apply]').isDisabled())
      await checkPage(page, `candidates-import-preview-errors-${locale}`, assert)

      /* A good XLSX: preview, import, the filled list. */
      await page.goto(`${pages.server.url}/staff/candidates/import`)
      await page.locator('input[name=file]').setInputFiles({ name: 'students.xlsx', mimeType: 'application/octet-stream', buffer: await studentsXlsx(locale) })
      await page.locator('form[action="/staff/candidates/import"] button[type=submit]').click()
      await page.waitForURL(/\/staff\/candidates\/import\/[0-9a-f]{32}$/)
      await checkPage(page, `candidates-import-preview-${locale}`, assert)
      await page.locator('[data-testid=import-apply]').click()
      await page.waitForURL('**/staff/candidates')
      assert.isAbove(await page.locator('[data-testid=candidates] tbody tr').count(), 20)
      await checkPage(page, `candidates-list-${locale}`, assert)

      /* Editing one: deleting asks first (a disclosure, by keyboard too). */
      await page.locator('[data-testid=candidates] tbody tr').first().locator('a').click()
      await page.waitForURL(/\/staff\/candidates\/\d+\/edit$/)
      await page.locator('details.danger-zone summary').focus()
      await page.keyboard.press('Enter')
      assert.isTrue(await page.locator('details.danger-zone button[type=submit]').isVisible())
      await checkPage(page, `candidates-edit-delete-${locale}`, assert)

      /* The directory, and a group name that is taken. */
      await page.goto(`${pages.server.url}/staff/directory`)
      await checkPage(page, `directory-${locale}`, assert)
      await page.locator('#groups input[name=name]').fill(`ЖМ-${locale}-1`)
      await page.locator('#groups button[type=submit]').click()
      await page.waitForLoadState('networkidle')
      assert.equal(await page.locator('#groups [data-field-error=GROUP_NAME_TAKEN]').count(), 1)
      await checkPage(page, `directory-errors-${locale}`, assert)
    }
  }).timeout(180_000)
})
