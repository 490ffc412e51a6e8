/*
| The body parser (@adonisjs/bodyparser) reports an unreadable body in several shapes: an
| Exception with a code for size and encoding, a bare SyntaxError (status 400) from
| JSON.parse, an Exception without a code (status 422) for JSON that is not an object or an
| array, raw-body's own errors (a body shorter than its Content-Length) and zlib's (a
| broken gzip body). Each gets its own stable code here instead of UNEXPECTED.
*/

export type BodyError = { status: number; code: string }

export function bodyErrorOf(error: any): BodyError | null {
  if (!error || typeof error !== 'object') return null
  if (error.code === 'E_REQUEST_ENTITY_TOO_LARGE' || error.type === 'entity.too.large') {
    return { status: 413, code: 'BODY_TOO_LARGE' }
  }
  if (error.code === 'E_ENCODING_UNSUPPORTED' || error.type === 'encoding.unsupported' || error.type === 'charset.unsupported') {
    return { status: 415, code: 'BODY_ENCODING_UNSUPPORTED' }
  }
  /* JSON.parse's error, which the body parser marks with status 400 (our own code never does). */
  if (error instanceof SyntaxError && (error as any).status === 400) return { status: 400, code: 'JSON_INVALID' }
  if (error.status === 422 && typeof error.message === 'string' && error.message.startsWith('Invalid JSON')) {
    return { status: 400, code: 'JSON_INVALID' }
  }
  if (
    error.code === 'E_REQUEST_ABORTED' ||
    error.type === 'request.size.invalid' ||
    error.type === 'request.aborted' ||
    (typeof error.code === 'string' && error.code.startsWith('Z_'))
  ) {
    return { status: 400, code: 'BODY_INVALID' }
  }
  return null
}
