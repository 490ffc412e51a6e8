import type { HttpContext } from '@adonisjs/core/http'
import db from '@adonisjs/lucid/services/db'
import { errors as vineErrors } from '@vinejs/vine'
import AppError from '#exceptions/app_error'
import Candidate from '#models/candidate'
import Group from '#models/group'
import { idParam, validateForm, validateQuery } from '#validators/request_input'
import { candidateValidator, candidatesFilterValidator } from '#validators/candidates'
import { saveCandidate, type CandidateFields } from '#actions/candidates/save_candidate'
import { deleteCandidate } from '#actions/candidates/delete_candidate'
import { staffActor } from '#actions/candidates/staff_actor'
import { candidatesQuery, type CandidateFilters } from '#actions/candidates/list_candidates'

const PAGE_SIZE = 25

/** The error code shown next to a field for a failed VineJS rule. */
function fieldCode(field: string, rule: string) {
  if (rule === 'unknownKey') return 'FIELD_UNKNOWN'
  if (field === 'iin') return 'IIN_INVALID'
  if (field === 'email') return 'EMAIL_INVALID'
  if (field === 'fullName') return 'FULL_NAME_REQUIRED'
  if (field === 'groupId') return 'GROUP_NOT_FOUND'
  return 'FIELD_INVALID'
}

/** Field -> error code, from a VineJS error (the first per field). */
export function formErrors(error: InstanceType<typeof vineErrors.E_VALIDATION_ERROR>) {
  const errors: Record<string, string> = {}
  for (const message of error.messages as { field: string; rule: string }[]) {
    const field = message.field.split('.')[0]
    errors[field] ??= fieldCode(field, message.rule)
  }
  return errors
}

/** Admins keep the list of candidates: search, group filter, create, edit, delete. */
export default class CandidatesController {
  async index({ request, view }: HttpContext) {
    const input = await validateQuery(request, candidatesFilterValidator)
    const filters: CandidateFilters = { q: input.q?.trim() ?? '', group: input.group ?? null }
    const candidates = await candidatesQuery(filters).paginate(input.page ?? 1, PAGE_SIZE)
    candidates.baseUrl('/staff/candidates').queryString({ q: filters.q, group: filters.group ?? '' })
    const fragment = request.header('hx-request') && request.header('hx-target') === 'candidates-table'
    const [{ n: everyone }] = await db.from('candidates').count('* as n')
    return view.render(fragment ? 'partials/candidates_table' : 'pages/staff/candidates', {
      candidates,
      filters,
      groups: await Group.query().orderBy('name'),
      anyCandidates: Number(everyone) > 0,
      exportQuery: new URLSearchParams({ q: filters.q, group: String(filters.group ?? '') }).toString(),
    })
  }

  private async form(ctx: HttpContext, candidate: Candidate | null, values: Record<string, unknown>, errors: Record<string, string> = {}) {
    if (Object.keys(errors).length) ctx.response.status(422)
    return ctx.view.render('pages/staff/candidates_form', {
      candidate,
      values,
      errors,
      refusal: null,
      groups: await Group.query().orderBy('name'),
    })
  }

  async create(ctx: HttpContext) {
    return this.form(ctx, null, {})
  }

  async edit(ctx: HttpContext) {
    const candidate = await this.find(ctx.params.id)
    const { fullName, groupId, iin, email, externalId } = candidate
    return this.form(ctx, candidate, { fullName, groupId, iin, email, externalId })
  }

  async store(ctx: HttpContext) {
    return this.save(ctx, null)
  }

  async update(ctx: HttpContext) {
    return this.save(ctx, await this.find(ctx.params.id))
  }

  async destroy({ params, request, response, session, auth, i18n, view }: HttpContext) {
    const candidate = await this.find(params.id)
    try {
      await deleteCandidate(staffActor(auth.use('web').user!), candidate, request.ip())
    } catch (error) {
      if (!(error instanceof AppError) || request.header('hx-request')) throw error
      /* Refused (the candidate has sat an exam): back on their form, with the reason. */
      response.status(error.status)
      const { fullName, groupId, iin, email, externalId } = candidate
      return view.render('pages/staff/candidates_form', {
        candidate,
        values: { fullName, groupId, iin, email, externalId },
        errors: {},
        refusal: { code: error.code, params: error.params },
        groups: await Group.query().orderBy('name'),
      })
    }
    session.flash('notice', i18n.t('messages.candidates.deleted', { name: candidate.fullName }))
    return response.redirect('/staff/candidates')
  }

  private async find(id: unknown) {
    const candidateId = idParam(id)
    const candidate = candidateId ? await Candidate.find(candidateId) : null
    if (!candidate) throw AppError.notFound('CANDIDATE_NOT_FOUND')
    return candidate
  }

  private async save(ctx: HttpContext, candidate: Candidate | null) {
    const { request, response, session, auth, i18n } = ctx
    const { _csrf, ...posted } = request.body()
    let fields: CandidateFields
    try {
      const input = await validateForm(request, candidateValidator)
      fields = {
        fullName: input.fullName,
        groupId: input.groupId ?? null,
        iin: input.iin ?? null,
        email: input.email ?? null,
        externalId: input.externalId ?? null,
      }
    } catch (error) {
      if (!(error instanceof vineErrors.E_VALIDATION_ERROR)) throw error
      return this.form(ctx, candidate, posted, formErrors(error))
    }
    let saved
    try {
      saved = await saveCandidate(staffActor(auth.use('web').user!), candidate, fields, request.ip())
    } catch (error) {
      if (!(error instanceof AppError) || !error.params.field) throw error
      return this.form(ctx, candidate, posted, { [error.params.field as string]: error.code! })
    }
    session.flash('notice', i18n.t('messages.candidates.saved', { name: saved.candidate.fullName }))
    return response.redirect('/staff/candidates')
  }
}
