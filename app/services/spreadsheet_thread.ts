import { parentPort, workerData } from 'node:worker_threads'
import { readTable, SpreadsheetError, type SpreadsheetKind } from '#services/spreadsheets'

/*
| One uploaded file read in a thread of its own (readTableInThread): the web process keeps
| answering meanwhile, and a file that unpacks into far more than it weighs (an XLSX is a zip)
| hits this thread's memory limit instead of the process's.
*/
const { bytes, kind } = workerData as { bytes: Uint8Array; kind: SpreadsheetKind }
try {
  const table = await readTable(Buffer.from(bytes), kind)
  parentPort!.postMessage({ ok: true, table })
} catch (error) {
  parentPort!.postMessage({ ok: false, code: error instanceof SpreadsheetError ? error.code : 'SPREADSHEET_UNREADABLE' })
}
