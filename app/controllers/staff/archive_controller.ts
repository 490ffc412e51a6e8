import type { HttpContext } from '@adonisjs/core/http'
import { DateTime } from 'luxon'
import AppError from '#exceptions/app_error'
import ProctoringSession from '#models/proctoring_session'
import type AuditEntry from '#models/audit_entry'
import { recordAction, type Actor } from '#actions/audit/record_action'
import { verifyArchive, type VerifyResult } from '#actions/audit/verify_archive'
import { archiveQuery, archivedActions, sessionArchive, type ArchiveFilters } from '#actions/audit/list_archive'
import { validateForm, validateQuery } from '#validators/request_input'
import { archiveFilterValidator, archiveVerifyValidator } from '#validators/archive'
import { assertSessionInScope } from '#services/staff_scope'

const PAGE_SIZE = 50

function actorOf(ctx: HttpContext): Actor {
  const user = ctx.auth.use('web').user!
  return { userId: user.id, name: user.fullName, iin: user.iin, role: user.role }
}

/** What the page shows of a verification: enough to say "intact, N entries" or name the first broken entry. */
export type VerifySummary = { ok: boolean; checked: number; entryId: number | null; kind: string | null; message: string | null; at: string }

function summaryOf(result: VerifyResult): VerifySummary {
  const first = result.findings[0] ?? null
  return {
    ok: result.ok,
    checked: result.checked,
    entryId: first?.entryId ?? null,
    kind: first?.kind ?? null,
    message: first?.message ?? null,
    at: DateTime.now().toFormat('dd.MM.yyyy HH:mm:ss'),
  }
}

const dayText = (value: Date | null | undefined) => (value ? DateTime.fromJSDate(value).toISODate()! : '')

/** The report a row points to: a session itself, or the session a recording/photo access names. */
function reportOf(entry: AuditEntry): string | null {
  if (entry.subjectType === 'session' && entry.subjectId && !/^\d+$/.test(entry.subjectId)) return entry.subjectId
  const session = entry.details?.session
  return typeof session === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(session) ? session : null
}

type Translator = { t(key: string, params?: Record<string, unknown>): string; hasMessage(key: string): boolean }

/** A row as the tables show it: the action and target in the viewer's language where we have the words. */
/** Words looked up once per request and language (a page repeats the same few actions 50 times). */
const looked = new WeakMap<Translator, Map<string, string>>()
function wordsFor(i18n: Translator, key: string, fallback: string) {
  let known = looked.get(i18n)
  if (!known) looked.set(i18n, (known = new Map()))
  let words = known.get(key)
  if (words === undefined) {
    words = i18n.hasMessage(`messages.archive.${key}`) ? i18n.t(`messages.archive.${key}`) : fallback
    known.set(key, words)
  }
  return words
}

function rowOf(entry: AuditEntry, i18n: Translator) {
  const label = (key: string, fallback: string) => wordsFor(i18n, key, fallback)
  return {
    entry,
    report: reportOf(entry),
    when: DateTime.fromISO(entry.createdAt).toFormat('dd.MM.yyyy HH:mm:ss'),
    action: label(`actions.${entry.action}`, entry.action),
    subject: entry.subjectType ? label(`subjects.${entry.subjectType}`, entry.subjectType) : null,
    detail: decisionChange(entry, i18n),
  }
}

/** A decision's change in words ("No decision → Accepted"), from what the decision's entry keeps. */
function decisionChange(entry: AuditEntry, i18n: Translator) {
  if (entry.action !== 'session.decision') return null
  const words = (value: unknown) =>
    typeof value === 'string' && /^[a-z_]{1,32}$/.test(value) && i18n.hasMessage(`messages.decisions.${value}`) ? i18n.t(`messages.decisions.${value}`) : null
  const from = words(entry.details?.from)
  const to = words(entry.details?.to)
  return to ? (from ? `${from} → ${to}` : to) : null
}

/**
 * The action archive (seed 003 §2.1.12.3, PRODUCT.md P4): auditors and admins read every entry
 * and verify the chain; the report's own archive panel lists what was done with one session.
 */
export default class ArchiveController {
  async index(ctx: HttpContext) {
    const { request, view, session } = ctx
    const input = await validateQuery(request, archiveFilterValidator)
    const filters: ArchiveFilters = {
      who: input.who?.trim() ?? '',
      action: input.action ?? '',
      target: input.target?.trim() ?? '',
      from: dayText(input.from),
      to: dayText(input.to),
    }
    const entries = await archiveQuery(filters).paginate(input.page ?? 1, PAGE_SIZE)
    entries.baseUrl('/staff/archive').queryString({ ...filters })
    const filtered = Object.values(filters).some((value) => value !== '')
    const fragment = request.header('hx-request') && request.header('hx-target') === 'archive-table'
    return view.render(fragment ? 'partials/archive_table' : 'pages/staff/archive', {
      entries,
      rows: entries.all().map((entry) => rowOf(entry, ctx.i18n)),
      filters,
      filtered,
      actions: (await archivedActions()).map((action) => ({ value: action, label: wordsFor(ctx.i18n, `actions.${action}`, action) })),
      verified: session?.flashMessages.get('archiveVerified') ?? null,
    })
  }

  /** "Verify the archive": the same check as `node ace archive:verify`; the check is archived too. */
  async verify(ctx: HttpContext) {
    const { request, response, session, view } = ctx
    await validateForm(request, archiveVerifyValidator)
    const summary = summaryOf(await verifyArchive())
    await recordAction(actorOf(ctx), {
      action: 'archive.verify',
      details: { ok: summary.ok, checked: summary.checked, ...(summary.ok ? {} : { entryId: summary.entryId, kind: summary.kind }) },
      ip: request.ip(),
    })
    if (request.header('hx-request')) return view.render('partials/archive_verify', { verified: summary })
    if (request.accepts(['html', 'json']) === 'json') return response.ok(summary)
    session.flash('archiveVerified', summary)
    return response.redirect('/staff/archive')
  }

  /** The report's archive panel (loaded into the report by HTMX). */
  async session({ params, view, auth, i18n }: HttpContext) {
    const publicId = String(params.id)
    const found = /^[A-Za-z0-9_-]{1,64}$/.test(publicId) ? await ProctoringSession.findBy('publicId', publicId) : null
    if (!found) throw AppError.notFound('SESSION_NOT_FOUND')
    await assertSessionInScope(auth.use('web').user!, found)
    const entries = await sessionArchive(found)
    return view.render('partials/report_archive', {
      rows: entries.map((entry) => rowOf(entry, i18n)),
    })
  }
}
