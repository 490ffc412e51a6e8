import type { HttpContext } from '@adonisjs/core/http'
import User from '#models/user'
import { loginValidator } from '#validators/auth'
import { validateForm } from '#validators/request_input'
import { recordAction } from '#actions/audit/record_action'

export default class AuthController {
  async show({ view }: HttpContext) {
    return view.render('pages/auth/login')
  }

  async login(ctx: HttpContext) {
    const { request, auth, session, response, i18n } = ctx
    const { email, password } = await validateForm(request, loginValidator)
    let user: User
    try {
      user = await User.verifyCredentials(email.toLowerCase(), password)
    } catch {
      session.flash('error', i18n.t('errors.LOGIN_FAILED'))
      session.flashOnly(['email'])
      return response.redirect('/login')
    }
    if (!user.active) {
      session.flash('error', i18n.t('errors.ACCOUNT_DISABLED'))
      return response.redirect('/login')
    }
    await auth.use('web').login(user)
    await recordAction(
      { userId: user.id, name: user.fullName, iin: user.iin, role: user.role },
      { action: 'auth.login', ip: request.ip() }
    )
    const intended = session.pull('intended')
    return response.redirect(typeof intended === 'string' && intended.startsWith('/staff') ? intended : '/staff/results')
  }

  async logout({ auth, response }: HttpContext) {
    await auth.use('web').logout()
    return response.redirect('/login')
  }
}
