import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { PAGE_HEADERS } from '#services/security_headers'

/**
 * Security headers for every answer that is not a static file: pages, partials, the
 * student API, redirects and error pages, 404s for unknown URLs included. It runs at the
 * server level, after the static middleware (which answers public/ files with
 * config/static.ts's headers and never reaches this one) and before routing, so no answer
 * goes out without them. A page that needs more (the exam page frames the LMS quiz)
 * replaces the Content-Security-Policy in its controller.
 */
export default class SecurityHeadersMiddleware {
  handle({ response }: HttpContext, next: NextFn) {
    for (const [name, value] of Object.entries(PAGE_HEADERS)) response.header(name, value)
    return next()
  }
}
