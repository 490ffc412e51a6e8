import type { HttpContext } from '@adonisjs/core/http'
import AppError from '#exceptions/app_error'
import { loginValidator } from '#validators/auth'
import { validateForm } from '#validators/request_input'
import { attemptLogin } from '#actions/auth/attempt_login'
import { logOut } from '#actions/auth/log_out'

/** A client that asked for JSON gets the usual {"error": {...}} instead of the form page. */
const wantsJson = ({ request }: HttpContext) => request.accepts(['html', 'json']) === 'json'

export default class AuthController {
  async show({ view }: HttpContext) {
    return view.render('pages/auth/login')
  }

  async login(ctx: HttpContext) {
    const { request, auth, session, response, i18n, view } = ctx
    const { email, password } = await validateForm(request, loginValidator)
    const outcome = await attemptLogin(email.toLowerCase(), password, request.ip())

    if (outcome.retryAfterSeconds !== undefined) {
      const params = { minutes: Math.ceil(outcome.retryAfterSeconds / 60) }
      response.header('Retry-After', String(outcome.retryAfterSeconds))
      if (wantsJson(ctx)) throw new AppError('LOGIN_THROTTLED', 429, params)
      const page = await view.render('pages/auth/login', {
        email,
        error: { code: 'LOGIN_THROTTLED', message: i18n.t('errors.LOGIN_THROTTLED', params) },
      })
      return response.status(429).send(page)
    }
    /* Unknown e-mail, wrong password and disabled account: one and the same answer. */
    if (!outcome.user) {
      if (wantsJson(ctx)) throw new AppError('LOGIN_FAILED', 401)
      session.flash('error', i18n.t('errors.LOGIN_FAILED'))
      session.flashOnly(['email'])
      return response.redirect('/login')
    }

    await auth.use('web').login(outcome.user)
    const intended = session.pull('intended')
    return response.redirect(typeof intended === 'string' && intended.startsWith('/staff') ? intended : '/staff/results')
  }

  async logout({ auth, session, request, response }: HttpContext) {
    const guard = auth.use('web')
    const user = (await guard.check()) ? guard.user : undefined
    await guard.logout()
    /* A new id for what is left (the CSRF secret): the old one is never written again. */
    session.regenerate()
    if (user) await logOut(user, request.ip())
    return response.redirect('/login')
  }
}
