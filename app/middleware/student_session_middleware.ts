import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import AppError from '#exceptions/app_error'
import ProctoringSession from '#models/proctoring_session'
import { verifySessionToken } from '#services/signing'

/**
 * The student API: the URL names the session, the bearer token proves the browser was
 * given it. A token for one session opens no other.
 */
export default class StudentSessionMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    const publicId = String(ctx.params.sessionId ?? '')
    const header = ctx.request.header('authorization') ?? ''
    const token = header.startsWith('Bearer ') ? header.slice(7).trim() : undefined
    if (!token) throw new AppError('SESSION_TOKEN_REQUIRED', 401)
    const session = await ProctoringSession.findBy('publicId', publicId)
    if (!session || !verifySessionToken(session.publicId, token)) throw AppError.forbidden('SESSION_TOKEN_INVALID')
    ctx.proctoringSession = session
    return next()
  }
}

declare module '@adonisjs/core/http' {
  export interface HttpContext {
    proctoringSession: ProctoringSession
  }
}
