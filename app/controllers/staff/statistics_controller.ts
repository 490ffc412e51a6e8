import type { HttpContext } from '@adonisjs/core/http'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import AppError from '#exceptions/app_error'
import { sendDownload, xlsxFile, XLSX_TYPE } from '#services/downloads'
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

  /** A report of the page as an XLSX download for the same filters, archived as `action` with the filters and its size. */
  private async spreadsheet(
    ctx: HttpContext,
    action: string,
    file: string,
    build: (filters: StatisticsFilters, scope: StaffScope, t: (key: string) => string) => Promise<{ columns: [string, number][]; rows: unknown[][] }>
  ) {
    const filters = await filtersOf(ctx)
    const user = ctx.auth.use('web').user!
    const { columns, rows } = await build(filters, await scopeOf(user), (key) => ctx.i18n.t(key))
    const body = await xlsxFile(file, columns.map(([header, width]) => ({ header, width })), rows)
    await recordAction(
      { userId: user.id, name: user.fullName, iin: user.iin, role: user.role },
      { action, details: { filters, rows: rows.length }, ip: ctx.request.ip() }
    )
    return sendDownload(ctx.response, { type: XLSX_TYPE, name: `${file.toLowerCase()}-${filters.from}-${filters.to}.xlsx`, body })
  }

  /** GET /staff/statistics/exams.xlsx: the detailed report per exam (seed 003 §4.6). */
  async examsXlsx(ctx: HttpContext) {
    return this.spreadsheet(ctx, 'statistics.export', 'Exams', async (filters, scope, t) => ({
      columns: [
        [t('messages.results.col_exam'), 40], [t('messages.statistics.col_sessions'), 12], [t('messages.statistics.col_finished'), 12],
        [t('messages.statistics.col_in_progress'), 12], [t('messages.statistics.col_pkn'), 10], [t('messages.decisions.accepted'), 12],
        [t('messages.decisions.rejected'), 12], [t('messages.decisions.review'), 14], [t('messages.statistics.col_credibility'), 14],
      ],
      rows: (await examReport(filters, scope, ctx.i18n.locale)).map((row) => [
        row.title, row.sessions, row.finished, row.inProgress, row.pkn, row.accepted, row.rejected, row.review, row.credibility,
      ]),
    }))
  }

  /** GET /staff/statistics/candidates.xlsx: the report per candidate (seed 003 §4.5), every candidate. */
  async candidatesXlsx(ctx: HttpContext) {
    return this.spreadsheet(ctx, 'statistics.candidates', 'Candidates', async (filters, scope, t) => ({
      columns: [
        [t('messages.results.col_candidate'), 36], [t('messages.short_report.iin'), 14], [t('messages.results.col_group'), 14],
        [t('messages.statistics.col_sessions'), 10], [t('messages.statistics.col_finished'), 10], [t('messages.statistics.col_pkn'), 8],
        [t('messages.statistics.col_credibility'), 14], [t('messages.short_report.violations_counted'), 14],
        [t('messages.statistics.col_reconnections'), 14], [t('messages.decisions.accepted'), 10], [t('messages.decisions.rejected'), 12],
      ],
      rows: (await candidateReport(filters, scope)).map((row) => [
        row.name, row.iin ?? '', row.group ?? '', row.sessions, row.finished, row.pkn, row.credibility, row.violations, row.reconnections, row.accepted, row.rejected,
      ]),
    }))
  }
}
