import { readdirSync } from 'node:fs'
import app from '@adonisjs/core/services/app'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'

type Middleware = { handle(ctx: HttpContext, next: NextFn): unknown }

/** What public/ holds at its top level (css, vendor, build, favicon.ico, agent.js...), read once at start. */
const topLevel = new Set(readdirSync(app.publicPath()))
let serveStatic: Promise<Middleware> | undefined

/**
 * The static files of public/, served by @adonisjs/static, which looks on disk for every
 * URL it is shown. Only URLs under one of public/'s own top-level names are shown to it:
 * the student API, pages and health checks never cost a disk look-up.
 */
export default class PublicFilesMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    const url = ctx.request.url()
    const first = url.slice(1).split('/', 1)[0]
    if (!topLevel.has(first) || (ctx.request.method() !== 'GET' && ctx.request.method() !== 'HEAD')) return next()
    serveStatic ??= import('@adonisjs/static/static_middleware').then(
      (module) => app.container.make(module.default as any) as Promise<Middleware>
    )
    return (await serveStatic).handle(ctx, next)
  }
}
