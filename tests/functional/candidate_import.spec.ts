import { test } from '@japa/runner'
import ExcelJS from 'exceljs'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import Candidate from '#models/candidate'
import Group from '#models/group'
import AuditEntry from '#models/audit_entry'
import { iinCheckDigit } from '#services/iin'
import { readTable } from '#services/spreadsheets'
import { staffUser } from '#tests/helpers/fixtures'
import { WebClient } from '#tests/helpers/http'

const baseUrl = () => env.get('APP_URL')

async function adminBrowser(language = 'en') {
  const { user, password } = await staffUser('admin')
  const client = new WebClient(baseUrl(), language)
  await client.login(user.email, password)
  const page = await (await client.request('/staff/candidates/import')).text()
  const csrf = /name='_csrf' value='([^']+)'/.exec(page)![1]
  /** Uploads a file through the import form; the answer is the preview page (after its redirect). */
  const upload = async (name: string, bytes: Buffer | string) => {
    const form = new FormData()
    form.append('_csrf', csrf)
    form.append('file', new Blob([typeof bytes === 'string' ? bytes : new Uint8Array(bytes)]), name)
    const response = await client.request('/staff/candidates/import', { method: 'POST', body: form })
    if (response.status !== 302) return { response, html: await response.text(), path: null }
    const path = response.headers.get('location')!
    const preview = await client.request(path)
    return { response: preview, html: await preview.text(), path }
  }
  const confirm = (path: string) =>
    client.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf }).toString(),
    })
  return { user, client, csrf, upload, confirm }
}

/** Valid IINs, different on every call (born 1999-01-01, a run-wide counter in the serial). */
let serial = Math.floor(Math.random() * 50_000)
function nextIin() {
  for (;;) {
    const first = `9901013${String(++serial).padStart(4, '0')}`.slice(-11)
    const check = iinCheckDigit(first)
    if (check !== null) return `${first}${check}`
  }
}

const tableCounts = async () => ({
  candidates: Number((await db.from('candidates').count('* as n'))[0].n),
  groups: Number((await db.from('groups').count('* as n'))[0].n),
})

async function xlsxOf(header: string[], rows: string[][]) {
  const workbook = new ExcelJS.Workbook()
  const sheet = workbook.addWorksheet('Студенты')
  sheet.addRow(header)
  for (const row of rows) sheet.addRow(row)
  return Buffer.from(await workbook.xlsx.writeBuffer())
}

const countOf = (html: string, name: string) => Number(new RegExp(`data-count="${name}">(\\d+)<`).exec(html)?.[1])

test.group('Candidate import (issue 8)', () => {
  test('an import with bad rows shows each error and stores nothing', async ({ assert }) => {
    const admin = await adminBrowser('ru')
    const good = nextIin()
    const csv = [
      'full_name;group;iin;email;external_id;phone',
      `Дұрыс Студент;ИС-1;${good};ok@uni.kz;`,
      'Плохой ИИН;ИС-1;900101300018;;',
      `Дубль ИИН;ИС-1;${good};;`,
      ';ИС-1;;;no-name-1',
      `Плохая Почта;ИС-1;${nextIin()};not-an-email;`,
      'Без Номеров;ИС-2;;;',
    ].join('\n')
    const before = await tableCounts()
    const { html, path } = await admin.upload('bad.csv', `\ufeff${csv}`)
    assert.match(path ?? '', /^\/staff\/candidates\/import\/[0-9a-f]{32}$/)
    assert.include(html, 'data-error-code="IMPORT_COLUMN_UNKNOWN"')
    assert.include(html, 'Неизвестный столбец «phone»')
    const rowError = (line: number, code: string) =>
      assert.match(html, new RegExp(`<tr data-line="${line}" class="row-error">[\\s\\S]*?data-error-code="${code}"[\\s\\S]*?</tr>`), `row ${line}: ${code}`)
    rowError(3, 'IIN_INVALID')
    rowError(4, 'IMPORT_DUPLICATE_IIN')
    rowError(5, 'FULL_NAME_REQUIRED')
    rowError(6, 'EMAIL_INVALID')
    rowError(7, 'IMPORT_ID_MISSING')
    assert.include(html, 'Такой же ИИН уже есть в строке 2')
    assert.equal(countOf(html, 'errors'), 5)
    assert.match(html, /<button type="submit" class="btn btn-primary" disabled data-testid="import-apply">/)

    /* Forcing the import anyway (the button is disabled, the server still decides) stores nothing. */
    const forced = await admin.confirm(path!)
    assert.equal(forced.status, 422)
    assert.include(await forced.text(), 'data-error-code="IMPORT_HAS_ERRORS"')
    assert.deepEqual(await tableCounts(), before)
    assert.isNull(await Candidate.findBy('iin', good))
    assert.isNull(await AuditEntry.findBy('action', 'candidate.import'))
  })

  test('importing the same file twice changes nothing; a changed row is updated, found by IIN or external id', async ({ assert }) => {
    const admin = await adminBrowser()
    const [first, second] = [nextIin(), nextIin()]
    const stamp = Date.now()
    const csv = [
      'full_name,group,iin,email,external_id',
      `Айгерім Нұрланқызы,Повтор-${stamp},${first},aigerim@uni.kz,rep-${stamp}-1`,
      `"Петров, Иван",Повтор-${stamp},${second},,`,
      `Без ИИН Студент,Повтор-${stamp},,,rep-${stamp}-3`,
    ].join('\r\n')
    const once = await admin.upload('list.csv', csv)
    assert.equal(countOf(once.html, 'create'), 3)
    assert.equal(countOf(once.html, 'groups'), 1)
    const applied = await admin.confirm(once.path!)
    assert.equal(applied.status, 302)
    assert.equal(applied.headers.get('location'), '/staff/candidates')
    assert.equal((await Candidate.findByOrFail('iin', second)).fullName, 'Петров, Иван')
    const afterFirst = await tableCounts()
    const archived = await AuditEntry.query().where('action', 'candidate.import').orderBy('id', 'desc').firstOrFail()
    assert.deepInclude(archived.details as object, { created: 3, updated: 0, groupsCreated: 1 })

    const again = await admin.upload('list.csv', csv)
    assert.equal(countOf(again.html, 'unchanged'), 3)
    assert.equal(countOf(again.html, 'create') + countOf(again.html, 'update'), 0)
    assert.equal((await admin.confirm(again.path!)).status, 302)
    assert.deepEqual(await tableCounts(), afterFirst)

    const changed = csv.replace('aigerim@uni.kz', 'aigerim.n@uni.kz').replace('Без ИИН Студент', 'Теперь С Именем')
    const third = await admin.upload('list.csv', changed)
    assert.equal(countOf(third.html, 'update'), 2)
    assert.include(third.html, '<span class="muted small" data-changes>E-mail</span>')
    assert.equal((await admin.confirm(third.path!)).status, 302)
    assert.deepEqual(await tableCounts(), afterFirst)
    assert.equal((await Candidate.findByOrFail('iin', first)).email, 'aigerim.n@uni.kz')
    assert.equal((await Candidate.query().where('externalId', `rep-${stamp}-3`).firstOrFail()).fullName, 'Теперь С Именем')

    /* An applied upload is gone: it cannot be applied twice. */
    assert.equal((await admin.confirm(third.path!)).status, 404)
  })

  test('300 candidates in 10 groups from an XLSX written with exceljs are all created, with their groups', async ({ assert }) => {
    const admin = await adminBrowser('kk')
    const stamp = Date.now()
    const rows = Array.from({ length: 300 }, (_, i) => [
      `Студент ${String(i + 1).padStart(3, '0')} Тестұлы`,
      `Топ-${stamp}-${(i % 10) + 1}`,
      nextIin(),
      `student${i + 1}.${stamp}@uni.kz`,
      `x-${stamp}-${i + 1}`,
    ])
    const bytes = await xlsxOf(['full_name', 'group', 'iin', 'email', 'external_id'], rows)
    const preview = await admin.upload('students.xlsx', bytes)
    assert.equal(countOf(preview.html, 'create'), 300)
    assert.equal(countOf(preview.html, 'errors'), 0)
    assert.equal(countOf(preview.html, 'groups'), 10)
    assert.include(preview.html, 'жасалады')
    const applied = await admin.confirm(preview.path!)
    assert.equal(applied.status, 302)

    const groups = await Group.query().whereLike('name', `Топ-${stamp}-%`)
    assert.lengthOf(groups, 10)
    for (const group of groups) {
      const [{ n }] = await db.from('candidates').where('group_id', group.id).count('* as n')
      assert.equal(Number(n), 30, group.name)
    }
    const stored = await Candidate.findByOrFail('externalId', `x-${stamp}-17`)
    assert.equal(stored.iin, rows[16][2])
    assert.equal(stored.fullName, 'Студент 017 Тестұлы')
  })

  test('the template and the export are XLSX files with the import columns; the export follows the filters and imports back unchanged', async ({ assert }) => {
    const admin = await adminBrowser()
    const template = await admin.client.request('/staff/candidates/template.xlsx')
    assert.equal(template.status, 200)
    const templateTable = await readTable(Buffer.from(await template.arrayBuffer()), 'xlsx')
    assert.deepEqual(templateTable.header, ['full_name', 'group', 'iin', 'email', 'external_id'])
    assert.lengthOf(templateTable.rows, 1)

    const stamp = Date.now()
    const group = await Group.create({ name: `Экспорт-${stamp}` })
    const iin = `0${nextIin().slice(1, 11)}`
    const check = iinCheckDigit(iin)
    const leadingZero = check === null ? nextIin() : `${iin}${check}`
    await Candidate.create({ fullName: `=Формула ${stamp}`, groupId: group.id, iin: leadingZero, externalId: `exp-${stamp}` })
    const csv = await admin.client.request(`/staff/candidates/export.csv?group=${group.id}`)
    const text = await csv.text()
    assert.include(csv.headers.get('content-type') ?? '', 'text/csv')
    assert.include(text, `'=Формула ${stamp}`)
    assert.include(text, leadingZero)
    const xlsx = await admin.client.request(`/staff/candidates/export.xlsx?group=${group.id}`)
    const exported = await readTable(Buffer.from(await xlsx.arrayBuffer()), 'xlsx')
    assert.deepEqual(exported.rows.map((row) => row.cells), [[`=Формула ${stamp}`, group.name, leadingZero, '', `exp-${stamp}`]])

    const back = await admin.upload('candidates.csv', text)
    assert.equal(countOf(back.html, 'unchanged'), 1)
    assert.equal(countOf(back.html, 'errors'), 0)
  })

  test('a file that is too large, of another type or not a spreadsheet is refused with its code, and nothing is kept', async ({ assert }) => {
    const admin = await adminBrowser()
    const big = await admin.upload('big.csv', Buffer.alloc(5 * 1024 * 1024 + 10, 'a'))
    assert.equal(big.response.status, 413)
    assert.include(big.html, 'data-error-code="IMPORT_FILE_TOO_LARGE"')
    const other = await admin.upload('list.pdf', 'full_name\nX')
    assert.include(other.html, 'data-error-code="IMPORT_FILE_TYPE_INVALID"')
    const broken = await admin.upload('list.xlsx', 'this is not a zip file')
    assert.include(broken.html, 'data-error-code="SPREADSHEET_UNREADABLE"')
    const latin1 = await admin.upload('list.csv', Buffer.from('full_name;iin\nM\xfcller;900101300017\n', 'latin1'))
    assert.include(latin1.html, 'data-error-code="SPREADSHEET_ENCODING_INVALID"')

    /* Another admin cannot open someone else's upload. */
    const mine = await admin.upload('list.csv', `full_name;iin\nЧужой Файл;${nextIin()}\n`)
    const stranger = await adminBrowser()
    assert.equal((await stranger.client.request(mine.path!)).status, 404)
    assert.equal((await stranger.confirm(mine.path!)).status, 404)
  })
})
