import ExcelJS from 'exceljs'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import { listResults, type ResultFilters, type ResultRow } from '#actions/reviews/list_results'
import type { StaffScope } from '#services/staff_scope'

/** Rows one export may hold; past it the filters must narrow the list (a whole year is 100,000 sessions). */
export const EXPORT_MAX_ROWS = 20_000
/** Rows read per query while exporting (the list's largest page). */
const BATCH = 100

export type ExportRow = ResultRow & { violationCount: number; decidedBy: string | null; decidedAt: DateTime | null }

/**
 * Every session the results list shows for these filters, in its order (its sort, or newest
 * first), read a page at a time through the list itself so that the file holds exactly what
 * the pages show; with each row the counted violations and who set the decision.
 */
export async function exportRows(filters: ResultFilters, scope: StaffScope, locale: string, max = EXPORT_MAX_ROWS) {
  const first = await listResults({ ...filters, page: 1, size: BATCH }, scope, locale)
  if (first.total > max) return { total: first.total, rows: null }
  const rows: ResultRow[] = [...first.rows]
  for (let page = 2; page <= first.lastPage; page++) rows.push(...(await listResults({ ...filters, page, size: BATCH }, scope, locale)).rows)
  const extra = new Map<number, { violation_count: number; decided_at: string | null; decider: string | null }>()
  for (let i = 0; i < rows.length; i += 500) {
    const found = await db
      .from('proctoring_sessions as s')
      .leftJoin('users as u', 'u.id', 's.decided_by')
      .whereIn('s.id', rows.slice(i, i + 500).map((row) => row.id))
      .select('s.id', 's.violation_count', 's.decided_at', 'u.full_name as decider')
    for (const row of found) extra.set(Number(row.id), row)
  }
  return {
    total: first.total,
    rows: rows.map((row): ExportRow => {
      const more = extra.get(row.id)
      return {
        ...row,
        violationCount: Number(more?.violation_count ?? 0),
        decidedBy: more?.decider ?? null,
        decidedAt: more?.decided_at ? DateTime.fromSQL(more.decided_at) : null,
      }
    }),
  }
}

export type ExportWords = {
  headings: Record<'candidate' | 'iin' | 'group' | 'exam' | 'status' | 'start' | 'end' | 'credibility' | 'violations' | 'decision' | 'decidedBy' | 'decidedAt' | 'viewed' | 'report', string>
  status: (status: string) => string
  decision: (decision: string) => string
  reportUrl: (publicId: string) => string
}

const stamp = (time: DateTime | null) => (time ? time.toFormat('dd.MM.yyyy HH:mm:ss') : '')

/** The rows as an XLSX sheet, headings in the viewer's language; numbers stay numbers. */
export async function resultsXlsx(rows: ExportRow[], words: ExportWords) {
  const book = new ExcelJS.Workbook()
  const sheet = book.addWorksheet('Results')
  const h = words.headings
  sheet.columns = [
    { header: h.candidate, width: 34 },
    { header: h.iin, width: 14 },
    { header: h.group, width: 14 },
    { header: h.exam, width: 34 },
    { header: h.status, width: 14 },
    { header: h.start, width: 20 },
    { header: h.end, width: 20 },
    { header: h.credibility, width: 12 },
    { header: h.violations, width: 12 },
    { header: h.decision, width: 22 },
    { header: h.decidedBy, width: 26 },
    { header: h.decidedAt, width: 20 },
    { header: h.viewed, width: 20 },
    { header: h.report, width: 70 },
  ]
  sheet.getRow(1).font = { bold: true }
  sheet.views = [{ state: 'frozen', ySplit: 1 }]
  for (const row of rows) {
    sheet.addRow([
      row.candidateName,
      row.iin ?? '',
      row.groupName ?? '',
      row.examTitle,
      words.status(row.status),
      stamp(row.startedAt),
      stamp(row.endedAt),
      row.credibility,
      row.violationCount,
      words.decision(row.decision),
      row.decidedBy ?? '',
      stamp(row.decidedAt),
      stamp(row.viewedAt),
      words.reportUrl(row.publicId),
    ])
  }
  return Buffer.from(await book.xlsx.writeBuffer())
}
