import type { HttpContext } from '@adonisjs/core/http'
import ExcelJS from 'exceljs'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import AppError from '#exceptions/app_error'
import { recordAction } from '#actions/audit/record_action'
import { validateQuery } from '#validators/request_input'
import { statisticsFilterValidator } from '#validators/staff'
import { scopeOf, type StaffScope } from '#services/staff_scope'
import { CANDIDATES_SHOWN, candidateReport, chart, defaultRange, examReport, statistics, type StatisticsFilters } from '#actions/statistics/statistics'

/** Days one page may cover (a year and a bit). */
const MAX_DAYS = 400

async function filtersOf(ctx: HttpContext): Promise<StatisticsFilters> {
  const valid = await validateQuery(ctx.request, statisticsFilterValidator)
  const range = defaultRange()
  const from = valid.from ?? range.from
  const to = valid.to ?? range.to
  const [start, end] = [DateTime.fromISO(from), DateTime.fromISO(to)]
  if (!start.isValid || !end.isValid) throw new AppError('VALIDATION_FAILED', 422, { fields: 'from, to' })
  if (end < start || end.diff(start, 'days').days > MAX_DAYS) throw new AppError('STATISTICS_RANGE_INVALID', 422, { max: MAX_DAYS })
  return { from, to, exam: valid.exam, group: valid.group, discipline: valid.discipline }
}

/** What the filters may offer: only the exams and groups within a limited proctor's scope. */
async function choices(scope: StaffScope) {
  const [exams, groups, disciplines] = await Promise.all([
    db.from('exams').orderBy('id', 'desc').select('id', 'title', 'title_kk', 'title_ru', 'title_en').if(scope?.examIds.length, (q) => q.whereIn('id', scope!.examIds)),
    db.from('groups').orderBy('name').select('id', 'name').if(scope?.groupIds.length, (q) => q.whereIn('id', scope!.groupIds)),
    db.from('disciplines').orderBy('name').select('id', 'name'),
  ])
  return { exams, groups, disciplines }
}

/** The statistics page (seed 003 §4): charts and tables for a range of days, filtered in the URL. */
export default class StatisticsController {
  async index(ctx: HttpContext) {
    const filters = await filtersOf(ctx)
    const scope = await scopeOf(ctx.auth.use('web').user!)
    const stats = await statistics(filters, scope, ctx.i18n.locale)
    const query = new URLSearchParams(
      Object.entries(filters).filter(([, value]) => value !== null && value !== undefined && value !== '').map(([key, value]) => [key, String(value)])
    ).toString()
    return ctx.view.render('pages/staff/statistics', {
      filters,
      stats,
      /* Days labelled as dd.MM, at most 8 of them; hours every third. */
      dayChart: chart(stats.days.map((day) => day.n), stats.days.map((day) => DateTime.fromISO(day.day).toFormat('dd.MM')), 8),
      hourChart: chart(stats.hours.map((hour) => hour.n), stats.hours.map((hour) => String(hour.hour)), 8),
      ...(await choices(scope)),
      examTitle: (exam: Record<string, string | null>) => exam[`title_${ctx.i18n.locale}`] || exam.title_ru || exam.title_kk || exam.title_en || exam.title,
      query,
      candidatesShown: CANDIDATES_SHOWN,
      percent: (part: number, whole: number) => (whole ? Math.round((part / whole) * 1000) / 10 : 0),
    })
  }

  /** GET /staff/statistics/exams.xlsx: the detailed report per exam for the same filters (seed 003 §4.6). Archived. */
  async examsXlsx(ctx: HttpContext) {
    const filters = await filtersOf(ctx)
    const user = ctx.auth.use('web').user!
    const rows = await examReport(filters, await scopeOf(user), ctx.i18n.locale)
    const t = (key: string) => ctx.i18n.t(key)
    const book = new ExcelJS.Workbook()
    const sheet = book.addWorksheet('Exams')
    sheet.columns = [
      { header: t('messages.results.col_exam'), width: 40 },
      { header: t('messages.statistics.col_sessions'), width: 12 },
      { header: t('messages.statistics.col_finished'), width: 12 },
      { header: t('messages.statistics.col_in_progress'), width: 12 },
      { header: t('messages.statistics.col_pkn'), width: 10 },
      { header: t('messages.decisions.accepted'), width: 12 },
      { header: t('messages.decisions.rejected'), width: 12 },
      { header: t('messages.decisions.review'), width: 14 },
      { header: t('messages.statistics.col_credibility'), width: 14 },
    ]
    sheet.getRow(1).font = { bold: true }
    for (const row of rows) {
      sheet.addRow([row.title, row.sessions, row.finished, row.inProgress, row.pkn, row.accepted, row.rejected, row.review, row.credibility])
    }
    await recordAction(
      { userId: user.id, name: user.fullName, iin: user.iin, role: user.role },
      { action: 'statistics.export', details: { filters, rows: rows.length }, ip: ctx.request.ip() }
    )
    ctx.response.header('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    ctx.response.header('Content-Disposition', `attachment; filename="exams-${filters.from}-${filters.to}.xlsx"`)
    ctx.response.header('Cache-Control', 'private, no-store')
    return ctx.response.send(Buffer.from(await book.xlsx.writeBuffer()))
  }

  /** GET /staff/statistics/candidates.xlsx: the report per candidate for the same filters (seed 003 §4.5), every candidate. Archived. */
  async candidatesXlsx(ctx: HttpContext) {
    const filters = await filtersOf(ctx)
    const user = ctx.auth.use('web').user!
    const rows = await candidateReport(filters, await scopeOf(user))
    const t = (key: string) => ctx.i18n.t(key)
    const book = new ExcelJS.Workbook()
    const sheet = book.addWorksheet('Candidates')
    sheet.columns = [
      { header: t('messages.results.col_candidate'), width: 36 },
      { header: t('messages.short_report.iin'), width: 14 },
      { header: t('messages.results.col_group'), width: 14 },
      { header: t('messages.statistics.col_sessions'), width: 10 },
      { header: t('messages.statistics.col_finished'), width: 10 },
      { header: t('messages.statistics.col_pkn'), width: 8 },
      { header: t('messages.statistics.col_credibility'), width: 14 },
      { header: t('messages.short_report.violations_counted'), width: 14 },
      { header: t('messages.statistics.col_reconnections'), width: 14 },
      { header: t('messages.decisions.accepted'), width: 10 },
      { header: t('messages.decisions.rejected'), width: 12 },
    ]
    sheet.getRow(1).font = { bold: true }
    for (const row of rows) {
      sheet.addRow([row.name, row.iin ?? '', row.group ?? '', row.sessions, row.finished, row.pkn, row.credibility, row.violations, row.reconnections, row.accepted, row.rejected])
    }
    await recordAction(
      { userId: user.id, name: user.fullName, iin: user.iin, role: user.role },
      { action: 'statistics.candidates', details: { filters, rows: rows.length }, ip: ctx.request.ip() }
    )
    ctx.response.header('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    ctx.response.header('Content-Disposition', `attachment; filename="candidates-${filters.from}-${filters.to}.xlsx"`)
    ctx.response.header('Cache-Control', 'private, no-store')
    return ctx.response.send(Buffer.from(await book.xlsx.writeBuffer()))
  }
}
