import type { HttpContext } from '@adonisjs/core/http'
import db from '@adonisjs/lucid/services/db'
import { errors as vineErrors } from '@vinejs/vine'
import AppError from '#exceptions/app_error'
import Group from '#models/group'
import Discipline from '#models/discipline'
import System from '#models/system'
import { idParam, validateForm } from '#validators/request_input'
import { disciplineValidator, groupValidator, systemValidator } from '#validators/candidates'
import {
  DIRECTORY,
  deleteDirectoryRow,
  directoryKind,
  saveDirectoryRow,
  type DirectoryKind,
} from '#actions/candidates/directory'
import { staffActor } from '#actions/candidates/staff_actor'
import { formErrors } from '#controllers/staff/candidates_controller'
import { systemIntegration } from '#actions/systems/integration'

/** A row's form values, by the model's property names. */
function valuesOf(kind: DirectoryKind, row: Group | Discipline | System) {
  return Object.fromEntries(DIRECTORY[kind].fields.map((key) => [key, (row as any)[key] ?? null]))
}

const VALIDATORS = { groups: groupValidator, disciplines: disciplineValidator, systems: systemValidator }

/** Groups, disciplines and systems: one page with three lists, an edit page per row. */
export default class DirectoryController {
  async index(ctx: HttpContext) {
    return this.page(ctx)
  }

  private async page(ctx: HttpContext, failed: { kind: DirectoryKind; values: Record<string, unknown>; errors: Record<string, string> } | null = null) {
    const count = (table: string, column: string) =>
      db.from(table).select(column).count('* as n').groupBy(column).then((rows) => new Map(rows.map((r: any) => [r[column], Number(r.n)])))
    const [groups, disciplines, systems, inGroups, inDisciplines, bySystem] = await Promise.all([
      Group.query().orderBy('name'),
      Discipline.query().orderBy('name'),
      System.query().orderBy('name'),
      count('candidates', 'group_id'),
      count('exams', 'discipline_id'),
      count('proctoring_sessions', 'system_id'),
    ])
    if (failed) ctx.response.status(422)
    return ctx.view.render('pages/staff/directory', {
      groups: groups.map((row) => ({ row, uses: inGroups.get(row.id) ?? 0 })),
      disciplines: disciplines.map((row) => ({ row, uses: inDisciplines.get(row.id) ?? 0 })),
      systems: systems.map((row) => ({ row, uses: bySystem.get(row.id) ?? 0 })),
      failed,
    })
  }

  private kindOf(ctx: HttpContext) {
    const kind = directoryKind(ctx.params.kind)
    if (!kind) throw AppError.notFound('NOT_FOUND')
    return kind
  }

  private async find(ctx: HttpContext, kind: DirectoryKind) {
    const id = idParam(ctx.params.id)
    const row = id ? await (DIRECTORY[kind].model as typeof Group).find(id) : null
    if (!row) throw AppError.notFound('DIRECTORY_NOT_FOUND')
    return row as Group | Discipline | System
  }

  private async renderEdit(ctx: HttpContext, kind: DirectoryKind, row: Group | Discipline | System, values: Record<string, unknown>, errors: Record<string, string> = {}, refusal: { code: string; params?: unknown } | null = null) {
    if (Object.keys(errors).length) ctx.response.status(422)
    /* A system's page also shows its secrets and webhook delivery log (app/actions/systems/integration.ts). */
    const integration = kind === 'systems' ? await systemIntegration(row as System) : null
    return ctx.view.render('pages/staff/directory_form', { kind, row, values, errors, refusal, integration })
  }

  async edit(ctx: HttpContext) {
    const kind = this.kindOf(ctx)
    const row = await this.find(ctx, kind)
    return this.renderEdit(ctx, kind, row, valuesOf(kind, row))
  }

  /** The validated fields, or the field errors (a taken group name among them). */
  private async read(ctx: HttpContext, kind: DirectoryKind, exceptId: number | null) {
    try {
      const input: Record<string, unknown> = { ...(await validateForm(ctx.request, VALIDATORS[kind] as typeof groupValidator)) }
      for (const key of DIRECTORY[kind].fields) if (input[key] === undefined) input[key] = key === 'active' ? false : null
      if (kind === 'groups') {
        const taken = Group.query().where('name', input.name as string)
        if (exceptId) taken.whereNot('id', exceptId)
        if (await taken.first()) return { errors: { name: 'GROUP_NAME_TAKEN' } }
      }
      return { fields: input }
    } catch (error) {
      if (!(error instanceof vineErrors.E_VALIDATION_ERROR)) throw error
      const errors = formErrors(error)
      for (const key of Object.keys(errors)) if (errors[key] !== 'FIELD_UNKNOWN') errors[key] = key === 'name' ? 'NAME_REQUIRED' : key.endsWith('Url') ? 'URL_INVALID' : 'FIELD_INVALID'
      return { errors }
    }
  }

  async store(ctx: HttpContext) {
    const kind = this.kindOf(ctx)
    const { _csrf, ...posted } = ctx.request.body()
    const { fields, errors } = await this.read(ctx, kind, null)
    if (!fields) return this.page(ctx, { kind, values: posted, errors: errors! })
    const row = await saveDirectoryRow(staffActor(ctx.auth.use('web').user!), kind, null, fields, ctx.request.ip())
    ctx.session.flash('notice', ctx.i18n.t('messages.directory.saved', { name: (row as Group).name }))
    return ctx.response.redirect(`/staff/directory#${kind}`)
  }

  async update(ctx: HttpContext) {
    const kind = this.kindOf(ctx)
    const row = await this.find(ctx, kind)
    const { _csrf, ...posted } = ctx.request.body()
    const { fields, errors } = await this.read(ctx, kind, row.id)
    if (!fields) return this.renderEdit(ctx, kind, row, posted, errors)
    await saveDirectoryRow(staffActor(ctx.auth.use('web').user!), kind, row, fields, ctx.request.ip())
    ctx.session.flash('notice', ctx.i18n.t('messages.directory.saved', { name: (fields.name as string) ?? '' }))
    return ctx.response.redirect(`/staff/directory#${kind}`)
  }

  async destroy(ctx: HttpContext) {
    const kind = this.kindOf(ctx)
    const row = await this.find(ctx, kind)
    try {
      await deleteDirectoryRow(staffActor(ctx.auth.use('web').user!), kind, row, ctx.request.ip())
    } catch (error) {
      if (!(error instanceof AppError) || ctx.request.header('hx-request')) throw error
      ctx.response.status(error.status)
      return this.renderEdit(ctx, kind, row, valuesOf(kind, row), {}, { code: error.code!, params: error.params })
    }
    ctx.session.flash('notice', ctx.i18n.t('messages.directory.deleted', { name: (row as Group).name }))
    return ctx.response.redirect(`/staff/directory#${kind}`)
  }
}
