import type { HttpContext } from '@adonisjs/core/http'
import AppError from '#exceptions/app_error'
import System from '#models/system'
import { idParam } from '#validators/request_input'
import { staffActor } from '#actions/candidates/staff_actor'
import { SECRET_KINDS, regenerateSecret, type SecretKind } from '#actions/systems/secrets'
import { retryDelivery } from '#actions/systems/retry_delivery'

/**
 * A system's secrets (README "Other systems"): the link secret (signed-link systems only) and
 * the webhook secret. Made or remade by an admin, archived, and shown once on the page this
 * POST answers with (never stored in clear, never put in the session).
 */
export default class SystemSecretsController {
  private async system(ctx: HttpContext) {
    const id = idParam(ctx.params.id)
    const system = id ? await System.find(id) : null
    if (!system) throw AppError.notFound('DIRECTORY_NOT_FOUND')
    return system
  }

  async regenerate(ctx: HttpContext) {
    const system = await this.system(ctx)
    const kind = ctx.params.kind as SecretKind
    if (!SECRET_KINDS.includes(kind) || (kind === 'link' && system.kind !== 'link')) throw AppError.notFound('NOT_FOUND')
    const secret = await regenerateSecret(staffActor(ctx.auth.use('web').user!), system, kind, ctx.request.ip())
    ctx.response.header('Cache-Control', 'no-store')
    return ctx.view.render('pages/staff/systems_secret', { system, kind, secret })
  }

  /** Sends a given-up webhook again (a new round of attempts), back to the system's page. */
  async retryDelivery(ctx: HttpContext) {
    const system = await this.system(ctx)
    await retryDelivery(staffActor(ctx.auth.use('web').user!), system, ctx.params.delivery, ctx.request.ip())
    ctx.session.flash('notice', ctx.i18n.t('messages.other_systems.retry_queued'))
    return ctx.response.redirect(`/staff/directory/systems/${system.id}/edit#title-deliveries`)
  }
}
