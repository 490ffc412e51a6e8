import i18nManager from '@adonisjs/i18n/services/main'
import type { I18n } from '@adonisjs/i18n'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { isLocale, localeFromHeader, LOCALES } from '#services/locale'
import { STUDENT_API_PREFIX } from '#middleware/browser_session_middleware'

export const LOCALE_COOKIE = 'lang'

/**
 * Chooses the page language: an explicit ?lang=, then the remembered choice, then the
 * browser's Accept-Language, then the appliance default. The choice is shared with views.
 */
export default class DetectLocaleMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    const asked = ctx.request.input('lang')
    if (isLocale(asked)) ctx.response.plainCookie(LOCALE_COOKIE, asked, { maxAge: '1y', httpOnly: false })
    const remembered = ctx.request.plainCookie(LOCALE_COOKIE)
    const locale = isLocale(asked)
      ? asked
      : isLocale(remembered)
        ? remembered
        : (localeFromHeader(ctx.request.header('accept-language')) ?? i18nManager.defaultLocale)

    ctx.i18n = i18nManager.locale(locale)
    /* The student API answers JSON only: no view to prepare. */
    if ('view' in ctx && !ctx.request.url().startsWith(STUDENT_API_PREFIX)) {
      /* The language switch keeps the page's query string (its filters, sort and page). */
      const kept = new URLSearchParams(ctx.request.parsedUrl.query ?? '')
      kept.delete('lang')
      ctx.view.share({ i18n: ctx.i18n, locale, locales: LOCALES, currentUrl: ctx.request.url(), langQuery: kept.toString() })
    }
    return next()
  }
}

declare module '@adonisjs/core/http' {
  export interface HttpContext {
    i18n: I18n
  }
}
