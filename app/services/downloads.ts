import ExcelJS from 'exceljs'
import type { HttpContext } from '@adonisjs/core/http'

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

/** One sheet of rows under bold headings (frozen), as an XLSX file; numbers stay numbers. */
export async function xlsxFile(sheetName: string, columns: { header: string; width: number }[], rows: unknown[][]) {
  const book = new ExcelJS.Workbook()
  const sheet = book.addWorksheet(sheetName)
  sheet.columns = columns
  sheet.getRow(1).font = { bold: true }
  sheet.views = [{ state: 'frozen', ySplit: 1 }]
  for (const row of rows) sheet.addRow(row)
  return Buffer.from(await book.xlsx.writeBuffer())
}

/** A generated file as a download that no cache keeps (reports hold personal data). */
export function sendDownload(response: HttpContext['response'], file: { type: string; name: string; body: Buffer }) {
  response.header('Content-Type', file.type)
  response.header('Content-Disposition', `attachment; filename="${file.name}"`)
  response.header('Cache-Control', 'private, no-store')
  return response.send(file.body)
}
