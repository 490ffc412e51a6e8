import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import AppError from '#exceptions/app_error'
import type { StaffRole } from '#models/user'

/** Staff pages: a logged-in, active user whose role is among those the route allows. */
export default class StaffMiddleware {
  async handle(ctx: HttpContext, next: NextFn, options: { roles: StaffRole[] }) {
    const user = await ctx.auth.use('web').check().then(() => ctx.auth.use('web').user)
    if (!user || !user.active) {
      if (ctx.request.url().startsWith('/api/') || ctx.request.header('hx-request')) {
        throw new AppError('LOGIN_REQUIRED', 401)
      }
      ctx.session.put('intended', ctx.request.url(true))
      return ctx.response.redirect('/login')
    }
    if (!options.roles.includes(user.role)) throw AppError.forbidden('ROLE_FORBIDDEN')
    ctx.view.share({ user })
    return next()
  }
}
