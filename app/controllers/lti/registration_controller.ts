import type { HttpContext } from '@adonisjs/core/http'
import i18nManager from '@adonisjs/i18n/services/main'
import AppError from '#exceptions/app_error'
import System from '#models/system'
import type { Actor } from '#actions/audit/record_action'
import { allowPlatform } from '#actions/lti/deep_linking'
import {
  completeRegistration,
  fetchPlatformConfiguration,
  platformName,
  registrationQuery,
  toolRegistration,
} from '#actions/lti/registration'
import { toolUrls } from '#services/lti/launch'
import { validateForm } from '#validators/request_input'
import { registrationConfirmValidator } from '#validators/lti_services'

function actorOf(ctx: HttpContext): Actor {
  const user = ctx.auth.use('web').user!
  return { userId: user.id, name: user.fullName, iin: user.iin, role: user.role }
}

/** The tool's name in the platform's list of tools (the appliance's default language). */
function clientName() {
  return i18nManager.locale(i18nManager.defaultLocale).t('messages.lti_services.client_name')
}

/** The origin the page may be framed by: the configuration URL's (the platform's), when readable. */
function platformOrigin(url: unknown) {
  try {
    return typeof url === 'string' ? new URL(url).origin : null
  } catch {
    return null
  }
}

/**
 * LTI Dynamic Registration (admins): the platform opens GET /lti/register with its
 * configuration URL and a registration token; the admin sees what will be registered and
 * confirms; the tool registers itself and the page tells the platform it is done
 * (org.imsglobal.lti.close). The admins' pages are never framed; inside the platform's frame,
 * /lti/register shows its own small page that opens them in a new window.
 */
export default class LtiRegistrationController {
  /**
   * The registration URL pasted into the LMS: on to the admins' page (staff sessions live under
   * /staff). Shown inside the LMS's frame (Moodle opens it in one), where our sign-in cookie is
   * third-party when the LMS is another site, it offers the admins' page in a new window instead
   * and passes that window's "close" on to the LMS.
   */
  async redirect(ctx: HttpContext) {
    const { request, response } = ctx
    const query = request.parsedUrl.query
    const target = `/staff/lti/register${query ? `?${query}` : ''}`
    if (request.header('sec-fetch-dest') !== 'iframe') return response.redirect(target)
    allowPlatform(ctx, { frameAncestor: platformOrigin(request.qs().openid_configuration) })
    return ctx.view.render('pages/lti/register_frame', { target })
  }

  async show(ctx: HttpContext) {
    /* Never framed (the LMS's frame gets /lti/register's own page): nobody can cover "Register". */
    const query = ctx.request.qs()
    try {
      const parsed = registrationQuery(query)
      const config = await fetchPlatformConfiguration(parsed.url)
      const existing = await System.query().where({ kind: 'lti', issuer: config.issuer }).orderBy('id')
      return ctx.view.render('pages/lti/register', {
        config,
        name: platformName(config),
        registration: toolRegistration(config, clientName()),
        urls: toolUrls(),
        existing,
        form: { openid_configuration: parsed.url, registration_token: parsed.token ?? '' },
        errorCode: null,
      })
    } catch (error) {
      if (!(error instanceof AppError)) throw error
      ctx.response.status(error.status)
      return ctx.view.render('pages/lti/register', { config: null, errorCode: error.code, errorParams: error.params })
    }
  }

  async store(ctx: HttpContext) {
    const fields = await validateForm(ctx.request, registrationConfirmValidator)
    try {
      const query = registrationQuery(fields)
      const system = await completeRegistration(query, clientName(), actorOf(ctx), ctx.request.ip())
      return ctx.view.render('pages/lti/register_done', { system })
    } catch (error) {
      if (!(error instanceof AppError)) throw error
      ctx.response.status(error.status)
      return ctx.view.render('pages/lti/register', { config: null, errorCode: error.code, errorParams: error.params })
    }
  }
}
