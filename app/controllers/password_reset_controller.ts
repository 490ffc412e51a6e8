import type { HttpContext } from '@adonisjs/core/http'
import { errors as vineErrors } from '@vinejs/vine'
import AppError from '#exceptions/app_error'
import { validateForm } from '#validators/request_input'
import { forgotPasswordValidator } from '#validators/mail'
import { PASSWORD_RESET_MINUTES, requestPasswordReset } from '#actions/auth/password_reset'

const wantsJson = ({ request }: HttpContext) => request.accepts(['html', 'json']) === 'json' || Boolean(request.header('hx-request'))

/**
 * "Forgot password" (P1), for anyone not logged in: an e-mail address in, and always the same
 * answer, whether an account has it or not; the link itself arrives by e-mail
 * (app/actions/auth/password_reset.ts) and opens the page where a password is chosen.
 */
export default class PasswordResetController {
  async show({ view }: HttpContext) {
    return view.render('pages/auth/forgot_password', { email: '', fieldErrors: {}, sent: false, minutes: PASSWORD_RESET_MINUTES })
  }

  async store(ctx: HttpContext) {
    const { request, response, view, i18n } = ctx
    let fields
    try {
      fields = await validateForm(request, forgotPasswordValidator)
    } catch (error) {
      if (!(error instanceof vineErrors.E_VALIDATION_ERROR) || wantsJson(ctx)) throw error
      const email = request.body().email
      response.status(422)
      return view.render('pages/auth/forgot_password', { email: typeof email === 'string' ? email.slice(0, 254) : '', fieldErrors: { email: 'email' }, sent: false, minutes: PASSWORD_RESET_MINUTES })
    }
    const email = fields.email.toLowerCase()
    const outcome = await requestPasswordReset(email, request.ip())
    if (outcome.retryAfterSeconds !== undefined) {
      const params = { minutes: Math.ceil(outcome.retryAfterSeconds / 60) }
      response.header('Retry-After', String(outcome.retryAfterSeconds))
      if (wantsJson(ctx)) throw new AppError('PASSWORD_RESET_THROTTLED', 429, params)
      response.status(429)
      return view.render('pages/auth/forgot_password', {
        email,
        fieldErrors: {},
        sent: false,
        minutes: PASSWORD_RESET_MINUTES,
        error: { code: 'PASSWORD_RESET_THROTTLED', message: i18n.t('errors.PASSWORD_RESET_THROTTLED', params) },
      })
    }
    if (wantsJson(ctx)) return response.accepted({ sent: 'if-registered' })
    return view.render('pages/auth/forgot_password', { email, fieldErrors: {}, sent: true, minutes: PASSWORD_RESET_MINUTES })
  }
}
