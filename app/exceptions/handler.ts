import app from '@adonisjs/core/services/app'
import i18nManager from '@adonisjs/i18n/services/main'
import { HttpContext, ExceptionHandler } from '@adonisjs/core/http'
import { errors as vineErrors } from '@vinejs/vine'
import { errors as shieldErrors } from '@adonisjs/shield'
import AppError from '#exceptions/app_error'
import { bodyErrorOf } from '#exceptions/body_errors'

type Described = { status: number; code: string; message: string; fields?: unknown }

export default class HttpExceptionHandler extends ExceptionHandler {
  protected debug = !app.inProduction

  /** Maps any error to a status, a stable code and a message in the caller's language. */
  private describe(error: any, ctx: HttpContext): Described {
    const i18n = ctx.i18n ?? i18nManager.locale(i18nManager.defaultLocale)
    const translate = (code: string, params: Record<string, unknown> = {}) =>
      i18n.t(`errors.${code}`, params, i18n.t('errors.UNEXPECTED'))

    if (error instanceof AppError) {
      return { status: error.status, code: error.code!, message: translate(error.code!, error.params) }
    }
    if (error instanceof vineErrors.E_VALIDATION_ERROR) {
      return { status: 422, code: 'VALIDATION_FAILED', message: translate('VALIDATION_FAILED'), fields: error.messages }
    }
    if (error instanceof shieldErrors.E_BAD_CSRF_TOKEN) {
      return { status: 403, code: 'CSRF_TOKEN_INVALID', message: translate('CSRF_TOKEN_INVALID') }
    }
    const unreadable = bodyErrorOf(error)
    if (unreadable) return { ...unreadable, message: translate(unreadable.code) }
    const status = Number(error?.status) || 500
    const code = status === 404 ? 'NOT_FOUND' : status === 401 ? 'LOGIN_REQUIRED' : status === 403 ? 'FORBIDDEN' : 'UNEXPECTED'
    return { status, code, message: translate(code) }
  }

  private wantsJson(ctx: HttpContext) {
    return ctx.request.url().startsWith('/api/') || ctx.request.accepts(['html', 'json']) === 'json'
  }

  async handle(error: unknown, ctx: HttpContext) {
    const described = this.describe(error, ctx)
    const json = this.wantsJson(ctx)
    if (json) {
      const { status, ...body } = described
      return ctx.response.status(status).send({ error: body })
    }
    if (described.status >= 500 && this.debug) return super.handle(error, ctx)
    /* A plain form post with a validation error goes back to the form with its messages;
       HTMX requests and page URLs with bad filters get the error page (422) with its code. */
    if (error instanceof vineErrors.E_VALIDATION_ERROR && ctx.request.method() === 'POST' && !ctx.request.header('hx-request')) {
      return super.handle(error, ctx)
    }
    /* Shield's own answer to a stale form is a redirect; HTMX requests get a plain 403. */
    if (described.code === 'CSRF_TOKEN_INVALID' && !ctx.request.header('hx-request')) {
      ctx.session?.flash('error', described.message)
      return ctx.response.redirect().back()
    }
    return ctx.response
      .status(described.status)
      .send(await ctx.view.render('pages/error', described))
  }

  async report(error: unknown, ctx: HttpContext) {
    return super.report(error, ctx)
  }
}
