import app from '@adonisjs/core/services/app'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'

type Middleware = { handle(ctx: HttpContext, next: NextFn): unknown }

/** The student API authenticates with a bearer token: no cookie session, no CSRF, no staff login. */
export const STUDENT_API_PREFIX = '/api/student/'

/** Answers no browser session is ever needed for: the student API and the health check. */
function sessionless(url: string) {
  return url.startsWith(STUDENT_API_PREFIX) || url === '/health'
}

let stack: Promise<Middleware[]> | undefined

/**
 * The cookie session, Shield (CSRF and its headers) and the staff login, in that order, for
 * every request but the student API's. Each is built once: Shield's provider would otherwise
 * build its middleware (and import edge.js) anew for every request. Students' chunks,
 * heartbeats and events, most of the traffic, skip all three.
 */
export default class BrowserSessionMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    if (sessionless(ctx.request.url())) return next()
    stack ??= Promise.all([
      import('@adonisjs/session/session_middleware'),
      import('@adonisjs/shield/shield_middleware'),
      import('@adonisjs/auth/initialize_auth_middleware'),
    ]).then((modules) => Promise.all(modules.map((module) => app.container.make(module.default as any) as Promise<Middleware>)))
    const [session, shield, auth] = await stack
    return session.handle(ctx, () => shield.handle(ctx, () => auth.handle(ctx, next) as Promise<any>) as Promise<any>)
  }
}
