import type { HttpContext } from '@adonisjs/core/http'
import { errors as shieldErrors } from '@adonisjs/shield'
import Tokens from 'csrf'
import AppError from '#exceptions/app_error'
import { readTableInThread, spreadsheetKind, SpreadsheetError, writeCsv, writeXlsx, type Cell, type Table } from '#services/spreadsheets'
import { findUpload, removeUpload, storeUpload, UPLOAD_MAX_BYTES } from '#actions/candidates/import_uploads'
import { IMPORT_COLUMNS, TEMPLATE_EXAMPLE, planImport, planIsClean } from '#actions/candidates/plan_import'
import { applyImport } from '#actions/candidates/apply_import'
import { candidatesQuery } from '#actions/candidates/list_candidates'
import { staffActor } from '#actions/candidates/staff_actor'
import { recordAction } from '#actions/audit/record_action'
import { validateQuery } from '#validators/request_input'
import { candidatesFilterValidator } from '#validators/candidates'

/** The upload's URL: Shield leaves its CSRF check to this controller (config/shield.ts). */
export const CANDIDATE_UPLOAD_PATH = '/staff/candidates/import'

const tokens = new Tokens()
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

/**
 * A multipart body is read here, after the login and role checks, never by the body parser
 * for anyone who asks; so Shield cannot see its `_csrf` field and this checks it instead.
 */
function requireCsrf({ request, session }: HttpContext) {
  const secret = session.get('csrf-secret')
  const token = request.input('_csrf') || request.header('x-csrf-token')
  if (typeof secret !== 'string' || typeof token !== 'string' || !tokens.verify(secret, token)) {
    throw new shieldErrors.E_BAD_CSRF_TOKEN()
  }
}

/** Import candidates from XLSX or CSV (upload, preview, import), the template, the exports. */
export default class CandidateImportsController {
  async show({ view, response }: HttpContext, error: { code: string; params?: Record<string, unknown> } | null = null) {
    if (error) response.status(error.code === 'IMPORT_FILE_TOO_LARGE' ? 413 : 422)
    return view.render('pages/staff/candidates_import', { error, maxMb: UPLOAD_MAX_BYTES / 1024 / 1024 })
  }

  async upload(ctx: HttpContext) {
    const { request, response, auth } = ctx
    if (!request.is(['multipart/form-data'])) {
      requireCsrf(ctx)
      throw new AppError('CONTENT_TYPE_INVALID', 415, { expected: 'multipart/form-data' })
    }
    let file: { name: string; bytes: Buffer } | null = null
    let tooLarge = false
    request.multipart.onFile('file', {}, async (part) => {
      const chunks: Buffer[] = []
      let size = 0
      /* Read to the end even past the limit, so the answer is not a reset connection. */
      for await (const chunk of part as AsyncIterable<Buffer>) {
        size += chunk.length
        if (size <= UPLOAD_MAX_BYTES) chunks.push(chunk)
      }
      if (size > UPLOAD_MAX_BYTES) tooLarge = true
      else if (!file) file = { name: part.filename ?? '', bytes: Buffer.concat(chunks) }
    })
    try {
      await request.multipart.process({ limit: UPLOAD_MAX_BYTES * 8, maxFields: 10 })
    } catch (error: any) {
      if (error?.code !== 'E_REQUEST_ENTITY_TOO_LARGE') throw AppError.badRequest('BODY_INVALID')
      tooLarge = true
    }
    requireCsrf(ctx)
    const uploaded = file as { name: string; bytes: Buffer } | null
    if (tooLarge) return this.show(ctx, { code: 'IMPORT_FILE_TOO_LARGE', params: { mb: UPLOAD_MAX_BYTES / 1024 / 1024 } })
    if (!uploaded || uploaded.bytes.length === 0) return this.show(ctx, { code: 'IMPORT_FILE_MISSING' })
    const kind = spreadsheetKind(uploaded.name)
    if (!kind) return this.show(ctx, { code: 'IMPORT_FILE_TYPE_INVALID' })
    let table: Table
    try {
      table = await readTableInThread(uploaded.bytes, kind)
    } catch (error) {
      if (error instanceof SpreadsheetError) return this.show(ctx, { code: error.code })
      throw error
    }
    const id = await storeUpload(auth.use('web').user!.id, uploaded.name, kind, table)
    return response.redirect(`/staff/candidates/import/${id}`)
  }

  private async loadUpload(ctx: HttpContext) {
    const upload = await findUpload(ctx.params.upload, ctx.auth.use('web').user!.id)
    if (!upload) throw AppError.notFound('IMPORT_NOT_FOUND')
    return { upload, table: upload.table }
  }

  async preview(ctx: HttpContext, error: { code: string; params?: Record<string, unknown> } | null = null) {
    const { upload, table } = await this.loadUpload(ctx)
    const plan = await planImport(table)
    if (error) ctx.response.status(422)
    return ctx.view.render('pages/staff/candidates_import_preview', {
      upload: { id: upload.id, fileName: upload.fileName },
      plan,
      clean: planIsClean(plan),
      error,
    })
  }

  async apply(ctx: HttpContext) {
    const { request, response, session, auth, i18n } = ctx
    const { upload, table } = await this.loadUpload(ctx)
    try {
      const counts = await applyImport(staffActor(auth.use('web').user!), table, upload.fileName, request.ip())
      await removeUpload(upload.id)
      session.flash('notice', i18n.t('messages.candidates.imported', counts))
      return response.redirect('/staff/candidates')
    } catch (error) {
      if (error instanceof AppError && error.code === 'IMPORT_HAS_ERRORS' && !request.header('hx-request')) {
        return this.preview(ctx, { code: error.code, params: error.params })
      }
      throw error
    }
  }

  async template({ response }: HttpContext) {
    const bytes = await writeXlsx('candidates', [...IMPORT_COLUMNS], [TEMPLATE_EXAMPLE])
    return this.download(response, bytes, 'candidates_template.xlsx', XLSX_TYPE)
  }

  /** The (filtered) list as rows of the import template's columns: an export imports back. */
  private async exportRows(ctx: HttpContext) {
    const input = await validateQuery(ctx.request, candidatesFilterValidator)
    const filters = { q: input.q?.trim() ?? '', group: input.group ?? null }
    const candidates = await candidatesQuery(filters)
    const user = ctx.auth.use('web').user!
    await recordAction(staffActor(user), {
      action: 'candidate.export',
      subjectType: 'candidate',
      details: { filters, rows: candidates.length },
      ip: ctx.request.ip(),
    })
    return candidates.map((c): Cell[] => [c.fullName, c.group?.name ?? '', c.iin, c.email, c.externalId])
  }

  async exportXlsx(ctx: HttpContext) {
    const bytes = await writeXlsx('candidates', [...IMPORT_COLUMNS], await this.exportRows(ctx))
    return this.download(ctx.response, bytes, 'candidates.xlsx', XLSX_TYPE)
  }

  async exportCsv(ctx: HttpContext) {
    const bytes = writeCsv([...IMPORT_COLUMNS], await this.exportRows(ctx))
    return this.download(ctx.response, bytes, 'candidates.csv', 'text/csv; charset=utf-8')
  }

  private download(response: HttpContext['response'], bytes: Buffer, name: string, type: string) {
    response.header('content-type', type)
    response.header('content-disposition', `attachment; filename="${name}"`)
    return response.send(bytes)
  }
}
