import { Exception } from '@adonisjs/core/exceptions'

/**
 * Every error a user can cause carries a stable code (for tests, logs and support) and
 * is shown translated: the message is looked up as `errors.<CODE>` in resources/lang.
 */
export default class AppError extends Exception {
  constructor(
    code: string,
    status: number,
    readonly params: Record<string, unknown> = {}
  ) {
    super(code, { code, status })
  }

  static badRequest(code: string, params?: Record<string, unknown>) {
    return new AppError(code, 400, params)
  }

  static forbidden(code: string, params?: Record<string, unknown>) {
    return new AppError(code, 403, params)
  }

  static notFound(code: string, params?: Record<string, unknown>) {
    return new AppError(code, 404, params)
  }

  static conflict(code: string, params?: Record<string, unknown>) {
    return new AppError(code, 409, params)
  }
}
