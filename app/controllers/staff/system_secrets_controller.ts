import type { HttpContext } from '@adonisjs/core/http'
import AppError from '#exceptions/app_error'
import System from '#models/system'
import { idParam } from '#validators/request_input'
import { staffActor } from '#actions/candidates/staff_actor'
import { SECRET_KINDS, regenerateSecret, type SecretKind } from '#actions/systems/secrets'

/**
 * A system's secrets (README "Other systems"): the link secret (signed-link systems only) and
 * the webhook secret. Made or remade by an admin, archived, and shown once on the page this
 * POST answers with (never stored in clear, never put in the session).
 */
export default class SystemSecretsController {
  async regenerate(ctx: HttpContext) {
    const id = idParam(ctx.params.id)
    const system = id ? await System.find(id) : null
    if (!system) throw AppError.notFound('DIRECTORY_NOT_FOUND')
    const kind = ctx.params.kind as SecretKind
    if (!SECRET_KINDS.includes(kind) || (kind === 'link' && system.kind !== 'link')) throw AppError.notFound('NOT_FOUND')
    const secret = await regenerateSecret(staffActor(ctx.auth.use('web').user!), system, kind, ctx.request.ip())
    ctx.response.header('Cache-Control', 'no-store')
    return ctx.view.render('pages/staff/systems_secret', { system, kind, secret })
  }
}
