import ExcelJS from 'exceljs'
import type { LinkRow } from '#actions/links/list_links'

/** The columns of a links download, headed in the reader's language. */
type Headings = { candidate: string; group: string; exam: string; expires: string; opened: string; status: string; link: string }

function cells(row: LinkRow, statusText: (status: string) => string, language: string) {
  return [
    row.link.candidate.fullName,
    row.link.candidate.group?.name ?? '',
    row.link.exam.titleIn(language),
    row.link.expiresAt.toFormat('yyyy-MM-dd HH:mm'),
    row.link.openedAt ? row.link.openedAt.toFormat('yyyy-MM-dd HH:mm') : '',
    row.link.revokedAt ? statusText('revoked') : statusText(row.session?.status ?? 'none'),
    row.url,
  ]
}

/** XLSX: one sheet, a header row, one row per link. */
export async function linksXlsx(rows: LinkRow[], headings: Headings, statusText: (status: string) => string, language: string) {
  const book = new ExcelJS.Workbook()
  const sheet = book.addWorksheet('Links')
  sheet.columns = [
    { header: headings.candidate, width: 32 },
    { header: headings.group, width: 14 },
    { header: headings.exam, width: 32 },
    { header: headings.expires, width: 18 },
    { header: headings.opened, width: 18 },
    { header: headings.status, width: 16 },
    { header: headings.link, width: 80 },
  ]
  sheet.getRow(1).font = { bold: true }
  for (const row of rows) sheet.addRow(cells(row, statusText, language))
  return Buffer.from(await book.xlsx.writeBuffer())
}

/** A cell as CSV text; one that a spreadsheet would read as a formula is quoted as text. */
function csvCell(value: string) {
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\n\r;]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** CSV (UTF-8 with a byte-order mark, so spreadsheet programs read Cyrillic and Kazakh right). */
export function linksCsv(rows: LinkRow[], headings: Headings, statusText: (status: string) => string, language: string) {
  const lines = [Object.values(headings), ...rows.map((row) => cells(row, statusText, language))]
  return '\uFEFF' + lines.map((line) => line.map(csvCell).join(',')).join('\r\n') + '\r\n'
}
