import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import { listResults, type ResultFilters, type ResultRow } from '#actions/reviews/list_results'
import type { StaffScope } from '#services/staff_scope'
import { pdfDocument } from '#actions/reports/short_report'
import { xlsxFile } from '#services/downloads'

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
  for (let page = 2; page <= first.lastPage; page++) rows.push(...(await listResults({ ...filters, page, size: BATCH }, scope, locale, { total: first.total })).rows)
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
  const h = words.headings
  const columns: [string, number][] = [
    [h.candidate, 34], [h.iin, 14], [h.group, 14], [h.exam, 34], [h.status, 14], [h.start, 20], [h.end, 20],
    [h.credibility, 12], [h.violations, 12], [h.decision, 22], [h.decidedBy, 26], [h.decidedAt, 20], [h.viewed, 20], [h.report, 70],
  ]
  return xlsxFile(
    'Results',
    columns.map(([header, width]) => ({ header, width })),
    rows.map((row) => [
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
  )
}

export type StatementWords = ExportWords & { title: string; subtitle: string; made: string; none: string }

/**
 * The statement (ведомость) as a PDF, landscape A4 in DejaVu Sans (Kazakh letters): a numbered
 * row per session with candidate, group, start, end, credibility, counted violations, decision
 * and who decided, repeated headings on each page, and who made it and when at the foot.
 */
export async function statementPdf(rows: ExportRow[], words: StatementWords): Promise<Buffer> {
  const { doc, done } = pdfDocument({ size: 'A4', layout: 'landscape', margin: 36, info: { Title: words.title } })
  const h = words.headings
  const columns = [
    { label: '№', width: 28, cell: (_row: ExportRow, i: number) => String(i + 1) },
    { label: h.candidate, width: 170, cell: (row: ExportRow) => row.candidateName },
    { label: h.group, width: 70, cell: (row: ExportRow) => row.groupName ?? '' },
    { label: h.start, width: 88, cell: (row: ExportRow) => stamp(row.startedAt) },
    { label: h.end, width: 88, cell: (row: ExportRow) => stamp(row.endedAt) },
    { label: h.credibility, width: 64, cell: (row: ExportRow) => (row.credibility === null ? '—' : `${row.credibility} %`) },
    { label: h.violations, width: 64, cell: (row: ExportRow) => String(row.violationCount) },
    { label: h.decision, width: 110, cell: (row: ExportRow) => words.decision(row.decision) },
    { label: h.decidedBy, width: 108, cell: (row: ExportRow) => row.decidedBy ?? '' },
  ]
  const left = 36
  doc.font('bold').fontSize(15).text(words.title, left)
  doc.font('regular').fontSize(9).fillColor('#555').text(words.subtitle).fillColor('#000')
  doc.moveDown(0.6)
  const line = (cells: string[], font: 'regular' | 'bold') => {
    const y = doc.y
    let x = left
    let bottom = y
    doc.font(font).fontSize(8.5)
    cells.forEach((text, i) => {
      doc.text(text, x + 2, y, { width: columns[i].width - 4 })
      bottom = Math.max(bottom, doc.y)
      x += columns[i].width
    })
    doc.moveTo(left, bottom + 2).lineTo(x, bottom + 2).lineWidth(0.3).strokeColor('#bbb').stroke()
    doc.y = bottom + 5
  }
  const headings = columns.map((column) => column.label)
  line(headings, 'bold')
  if (!rows.length) doc.font('regular').fontSize(10).text(words.none, left)
  rows.forEach((row, i) => {
    if (doc.y > doc.page.height - 60) {
      doc.addPage()
      line(headings, 'bold')
    }
    line(columns.map((column) => column.cell(row, i)), 'regular')
  })
  doc.moveDown(1).font('regular').fontSize(8.5).fillColor('#555').text(words.made, left)
  doc.end()
  return done
}
