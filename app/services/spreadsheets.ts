import { Worker } from 'node:worker_threads'
import ExcelJS from 'exceljs'

/*
| Reading and writing the tables people exchange with the appliance (candidate imports,
| lists and link exports), in one small API:
|
|   readTable(bytes, 'xlsx' | 'csv')  -> { header, rows: [{ line, cells }] } (text cells, trimmed)
|   writeXlsx(sheet, header, rows)    -> XLSX bytes (every cell text, header bold, frozen)
|   writeCsv(header, rows)            -> CSV bytes (UTF-8 with BOM, ';' as Excel in kk/ru expects)
|   readTableInThread(bytes, kind)    -> readTable in a worker thread, for uploaded files
|
| Every cell is text: an IIN must keep its leading zero and never turn into 9.0E+11. A text
| that a spreadsheet would run as a formula (=, +, -, @ first) is written with a leading
| apostrophe in CSV, and readTable takes that apostrophe off again.
*/

export type SpreadsheetKind = 'xlsx' | 'csv'
export type TableRow = { line: number; cells: string[] }
export type Table = { header: string[]; rows: TableRow[] }
export type Cell = string | number | null | undefined

/** Why a file could not be read as a table: a stable error code. */
export class SpreadsheetError extends Error {
  constructor(readonly code: 'SPREADSHEET_UNREADABLE' | 'SPREADSHEET_ENCODING_INVALID' | 'SPREADSHEET_TOO_LARGE' | 'SPREADSHEET_EMPTY') {
    super(code)
  }
}

/** Most rows and columns a table may have (beyond that it is not a list of people). */
export const TABLE_LIMITS = { rows: 5000, columns: 30, cellLength: 500 }

const FORMULA_START = /^[=+\-@\t\r]/

/** The kind of a file from its name (.xlsx or .csv), or null. */
export function spreadsheetKind(fileName: string): SpreadsheetKind | null {
  const match = /\.(xlsx|csv)$/i.exec(fileName.trim())
  return match ? (match[1].toLowerCase() as SpreadsheetKind) : null
}

function clean(text: string) {
  const trimmed = text.replace(/\u00a0/g, ' ').trim()
  return trimmed.startsWith("'") && FORMULA_START.test(trimmed.slice(1)) ? trimmed.slice(1) : trimmed
}

function table(lines: string[][]): Table {
  const numbered = lines.map((cells, index) => ({ line: index + 1, cells: cells.map(clean) }))
  const filled = numbered.filter((row) => row.cells.some((cell) => cell !== ''))
  if (filled.length === 0) throw new SpreadsheetError('SPREADSHEET_EMPTY')
  if (filled.length - 1 > TABLE_LIMITS.rows) throw new SpreadsheetError('SPREADSHEET_TOO_LARGE')
  const [head, ...rows] = filled
  let width = head.cells.length
  while (width > 0 && head.cells[width - 1] === '') width--
  if (width > TABLE_LIMITS.columns || rows.some((row) => row.cells.length > TABLE_LIMITS.columns * 2)) {
    throw new SpreadsheetError('SPREADSHEET_TOO_LARGE')
  }
  for (const row of [head, ...rows]) row.cells = row.cells.map((cell) => cell.slice(0, TABLE_LIMITS.cellLength))
  return { header: head.cells.slice(0, width), rows }
}

/** A cell's value as the text a person sees (numbers in full, never with an exponent). */
function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value).toString() : String(value)
  if (typeof value === 'string' || typeof value === 'boolean') return String(value)
  if (value instanceof Date) return value.toISOString().slice(0, 10)
  if (typeof value === 'object') {
    if ('richText' in value) return value.richText.map((part) => part.text).join('')
    if ('text' in value) return cellText(value.text as ExcelJS.CellValue)
    if ('result' in value) return cellText(value.result as ExcelJS.CellValue)
    if ('error' in value) return ''
  }
  return ''
}

async function readXlsx(bytes: Buffer): Promise<string[][]> {
  const workbook = new ExcelJS.Workbook()
  try {
    await workbook.xlsx.load(bytes as unknown as ArrayBuffer)
  } catch {
    throw new SpreadsheetError('SPREADSHEET_UNREADABLE')
  }
  const sheet = workbook.worksheets[0]
  if (!sheet) throw new SpreadsheetError('SPREADSHEET_EMPTY')
  if (sheet.rowCount > TABLE_LIMITS.rows + 50 || sheet.columnCount > TABLE_LIMITS.columns * 2) {
    throw new SpreadsheetError('SPREADSHEET_TOO_LARGE')
  }
  const lines: string[][] = []
  for (let number = 1; number <= sheet.rowCount; number++) {
    const row = sheet.getRow(number)
    const cells: string[] = []
    for (let column = 1; column <= Math.max(row.cellCount, 0); column++) cells.push(cellText(row.getCell(column).value))
    lines.push(cells)
  }
  return lines
}

/** The delimiter of a CSV: ';' or ',', whichever the first line with text (outside quotes) has more of. */
function csvDelimiter(text: string) {
  let semicolons = 0
  let commas = 0
  let quoted = false
  for (const char of text.replace(/^[\s\ufeff]+/, '')) {
    if (char === '"') quoted = !quoted
    else if (!quoted && (char === '\n' || char === '\r')) break
    else if (!quoted && char === ';') semicolons++
    else if (!quoted && char === ',') commas++
  }
  return semicolons > commas ? ';' : ','
}

/** RFC 4180: quoted fields may hold the delimiter, line breaks and doubled quotes. */
function readCsv(bytes: Buffer): string[][] {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    throw new SpreadsheetError('SPREADSHEET_ENCODING_INVALID')
  }
  if (text.includes('\u0000')) throw new SpreadsheetError('SPREADSHEET_UNREADABLE')
  const delimiter = csvDelimiter(text)
  const lines: string[][] = []
  let cells: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const char = text[i]
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        cell += '"'
        i++
      } else if (char === '"') quoted = false
      else cell += char
    } else if (char === '"' && cell.trim() === '') {
      quoted = true
      cell = ''
    } else if (char === delimiter) {
      cells.push(cell)
      cell = ''
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++
      cells.push(cell)
      lines.push(cells)
      cells = []
      cell = ''
      if (lines.length > TABLE_LIMITS.rows + 50) throw new SpreadsheetError('SPREADSHEET_TOO_LARGE')
    } else cell += char
  }
  if (cell !== '' || cells.length) {
    cells.push(cell)
    lines.push(cells)
  }
  return lines
}

/** The first sheet of an XLSX, or a CSV, as a header and numbered rows of text cells. */
export async function readTable(bytes: Buffer, kind: SpreadsheetKind): Promise<Table> {
  return table(kind === 'xlsx' ? await readXlsx(bytes) : readCsv(bytes))
}

const asText = (value: Cell) => (value === null || value === undefined ? '' : String(value))

/** An XLSX with one sheet: a bold, frozen header row and text cells. */
export async function writeXlsx(sheetName: string, header: string[], rows: Cell[][]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook()
  const sheet = workbook.addWorksheet(sheetName.slice(0, 31), { views: [{ state: 'frozen', ySplit: 1 }] })
  sheet.columns = header.map((name) => ({ header: name, width: Math.max(14, name.length + 4), style: { numFmt: '@' } }))
  sheet.getRow(1).font = { bold: true }
  for (const row of rows) sheet.addRow(row.map(asText))
  return Buffer.from(await workbook.xlsx.writeBuffer())
}

function csvField(value: Cell) {
  let text = asText(value)
  if (FORMULA_START.test(text)) text = `'${text}`
  return /[";\n\r,]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** A CSV in UTF-8 with a BOM and ';' between fields (what Excel opens in kk and ru). */
export function writeCsv(header: string[], rows: Cell[][]): Buffer {
  const lines = [header, ...rows].map((row) => row.map(csvField).join(';'))
  return Buffer.from(`\ufeff${lines.join('\r\n')}\r\n`, 'utf8')
}

const THREAD_FILE = new URL('./spreadsheet_thread.ts', import.meta.url)
/** Memory a reading thread may use: far above a 5 MB file's table, far below the process's. */
const THREAD_MEMORY_MB = 256

/**
 * readTable in a thread of its own (app/services/spreadsheet_thread.ts), for uploaded files:
 * a 5,000-row XLSX takes most of a second to unpack, which the web process's other requests
 * should not wait for; a file that unpacks into too much ends that thread, not the process
 * (SPREADSHEET_TOO_LARGE).
 */
export function readTableInThread(bytes: Buffer, kind: SpreadsheetKind): Promise<Table> {
  return new Promise((resolve, reject) => {
    const thread = new Worker(THREAD_FILE, {
      execArgv: process.execArgv,
      workerData: { bytes: new Uint8Array(bytes), kind },
      resourceLimits: { maxOldGenerationSizeMb: THREAD_MEMORY_MB },
    })
    let settled = false
    const settle = (fn: () => void) => {
      if (settled) return
      settled = true
      fn()
      void thread.terminate()
    }
    thread.on('message', (reply: { ok: true; table: Table } | { ok: false; code: SpreadsheetError['code'] }) =>
      settle(() => (reply.ok ? resolve(reply.table) : reject(new SpreadsheetError(reply.code))))
    )
    thread.on('error', (error: any) =>
      settle(() => reject(error?.code === 'ERR_WORKER_OUT_OF_MEMORY' ? new SpreadsheetError('SPREADSHEET_TOO_LARGE') : error))
    )
    thread.on('exit', () => settle(() => reject(new SpreadsheetError('SPREADSHEET_UNREADABLE'))))
  })
}
