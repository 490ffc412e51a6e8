import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import AppError from '#exceptions/app_error'
import ProctoringSession from '#models/proctoring_session'
import { tokenRole } from '#services/signing'
import { sqlTime } from '#services/sql_time'

/**
 * The student API: the URL names the session, the bearer token proves the browser was
 * given it. A token for one session opens no other; the phone page's token opens only
 * what the phone needs. Every call counts as a sign of life for the reconnect window.
 */
export default class StudentSessionMiddleware {
  async handle(ctx: HttpContext, next: NextFn, options: { allow?: ('student' | 'phone')[] } = {}) {
    const publicId = String(ctx.params.sessionId ?? '')
    const header = ctx.request.header('authorization') ?? ''
    const token = header.startsWith('Bearer ') ? header.slice(7).trim() : undefined
    if (!token) throw new AppError('SESSION_TOKEN_REQUIRED', 401)
    const session = await ProctoringSession.findBy('publicId', publicId)
    const role = session ? tokenRole(session.publicId, token) : null
    if (!session || !role || !(options.allow ?? ['student']).includes(role)) {
      throw AppError.forbidden('SESSION_TOKEN_INVALID')
    }
    await ProctoringSession.query()
      .where('id', session.id)
      .update(role === 'phone' ? { phoneLastSeenAt: sqlTime() } : { lastSeenAt: sqlTime() })
    ctx.proctoringSession = session
    ctx.studentRole = role
    return next()
  }
}

declare module '@adonisjs/core/http' {
  export interface HttpContext {
    proctoringSession: ProctoringSession
    studentRole: 'student' | 'phone'
  }
}
