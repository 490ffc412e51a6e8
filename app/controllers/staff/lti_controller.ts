import type { HttpContext } from '@adonisjs/core/http'
import { errors as vineErrors } from '@vinejs/vine'
import AppError from '#exceptions/app_error'
import type System from '#models/system'
import LtiToolKey from '#models/lti_tool_key'
import { idParam, validateForm } from '#validators/request_input'
import { ltiPlatformValidator, splitDeploymentIds } from '#validators/lti'
import { formErrors } from '#controllers/staff/candidates_controller'
import { staffActor } from '#actions/candidates/staff_actor'
import {
  deletePlatform,
  findLtiPlatform,
  ltiPlatforms,
  platformTaken,
  platformValues,
  rotateToolKeys,
  savePlatform,
  type PlatformFields,
} from '#actions/lti/platforms'
import { toolUrls } from '#services/lti/launch'

type Failed = { values: Record<string, unknown>; errors: Record<string, string> }

/** The form's values as the page shows them (deployment ids one per line). */
function formValues(fields: PlatformFields | Record<string, unknown>) {
  const ids = (fields as PlatformFields).deploymentIds
  return { ...fields, deploymentIds: Array.isArray(ids) ? ids.join('\n') : (ids ?? '') }
}

/** Admins register LMS platforms (LTI 1.3) by hand, see the tool's URLs to paste, and rotate the tool's keys. */
export default class LtiPlatformsController {
  async index(ctx: HttpContext) {
    return this.page(ctx)
  }

  private async page(ctx: HttpContext, failed: Failed | null = null) {
    /* Read only: the first key is made when something needs it (the key set, a signature), not by showing this page. */
    const current = await LtiToolKey.query().whereNull('retiredAt').orderBy('id', 'desc').first()
    const published = await LtiToolKey.query().whereNull('retiredAt').count('* as n')
    if (failed) ctx.response.status(422)
    return ctx.view.render('pages/staff/lti', {
      platforms: await ltiPlatforms(),
      urls: toolUrls(),
      currentKid: current?.kid ?? null,
      publishedKeys: Number(published[0].$extras.n),
      values: failed?.values ?? { active: true },
      errors: failed?.errors ?? {},
    })
  }

  /** The validated fields, or the field errors (a taken issuer + client id among them). */
  private async read(ctx: HttpContext, exceptId: number | null): Promise<{ fields?: PlatformFields; errors?: Record<string, string> }> {
    try {
      const input = await validateForm(ctx.request, ltiPlatformValidator)
      const deploymentIds = splitDeploymentIds(input.deploymentIds)
      if (!deploymentIds) return { errors: { deploymentIds: 'FIELD_INVALID' } }
      const fields: PlatformFields = { ...input, tokenUrl: input.tokenUrl ?? null, deploymentIds, active: input.active ?? false }
      if (await platformTaken(fields, exceptId)) return { errors: { clientId: 'LTI_PLATFORM_TAKEN' } }
      return { fields }
    } catch (error) {
      if (!(error instanceof vineErrors.E_VALIDATION_ERROR)) throw error
      const errors = formErrors(error)
      for (const key of Object.keys(errors)) {
        if (errors[key] !== 'FIELD_UNKNOWN') errors[key] = key === 'name' ? 'NAME_REQUIRED' : key.endsWith('Url') || key === 'issuer' ? 'URL_INVALID' : 'FIELD_INVALID'
      }
      /* Every field's error at once: the deployment ids too, though VineJS refused another field first. */
      const ids = ctx.request.body().deploymentIds
      if (!errors.deploymentIds && (typeof ids !== 'string' || !splitDeploymentIds(ids))) errors.deploymentIds = 'FIELD_INVALID'
      return { errors }
    }
  }

  async store(ctx: HttpContext) {
    const { _csrf, ...posted } = ctx.request.body()
    const { fields, errors } = await this.read(ctx, null)
    if (!fields) return this.page(ctx, { values: posted, errors: errors! })
    const row = await savePlatform(staffActor(ctx.auth.use('web').user!), null, fields, ctx.request.ip())
    ctx.session.flash('notice', ctx.i18n.t('messages.lti_platforms.saved', { name: row.name }))
    return ctx.response.redirect('/staff/lti')
  }

  private renderEdit(ctx: HttpContext, system: System, values: Record<string, unknown>, errors: Record<string, string> = {}, refusal: string | null = null) {
    if (Object.keys(errors).length) ctx.response.status(422)
    if (refusal) ctx.response.status(409)
    return ctx.view.render('pages/staff/lti_form', { system, values, errors, refusal })
  }

  async edit(ctx: HttpContext) {
    const system = await findLtiPlatform(idParam(ctx.params.id))
    return this.renderEdit(ctx, system, formValues(platformValues(system)))
  }

  async update(ctx: HttpContext) {
    const system = await findLtiPlatform(idParam(ctx.params.id))
    const { _csrf, ...posted } = ctx.request.body()
    const { fields, errors } = await this.read(ctx, system.id)
    if (!fields) return this.renderEdit(ctx, system, posted, errors)
    await savePlatform(staffActor(ctx.auth.use('web').user!), system, fields, ctx.request.ip())
    ctx.session.flash('notice', ctx.i18n.t('messages.lti_platforms.saved', { name: fields.name }))
    return ctx.response.redirect('/staff/lti')
  }

  async destroy(ctx: HttpContext) {
    const system = await findLtiPlatform(idParam(ctx.params.id))
    try {
      await deletePlatform(staffActor(ctx.auth.use('web').user!), system, ctx.request.ip())
    } catch (error) {
      if (error instanceof AppError && error.code === 'LTI_PLATFORM_IN_USE') {
        return this.renderEdit(ctx, system, formValues(platformValues(system)), {}, error.code)
      }
      throw error
    }
    ctx.session.flash('notice', ctx.i18n.t('messages.lti_platforms.deleted', { name: system.name }))
    return ctx.response.redirect('/staff/lti')
  }

  async rotateKeys(ctx: HttpContext) {
    const { kid } = await rotateToolKeys(staffActor(ctx.auth.use('web').user!), ctx.request.ip())
    ctx.session.flash('notice', ctx.i18n.t('messages.lti_platforms.rotated', { kid }))
    return ctx.response.redirect('/staff/lti')
  }
}
