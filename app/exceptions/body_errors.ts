/*
| The body parser (@adonisjs/bodyparser) reports an unreadable body in several shapes: an
| Exception with a code for size, whatever JSON.parse threw (a SyntaxError, or a RangeError
| for very deep nesting) marked with status 400 and the body, an Exception without a code
| (status 422) for JSON that is not an object or an array, inflation's plain Error (status
| 415) for an unknown Content-Encoding, raw-body's own errors (a body shorter than its
| Content-Length) and zlib's (a broken gzip body). Each gets its own stable code here.
*/

export type BodyError = { status: number; code: string }

export function bodyErrorOf(error: any): BodyError | null {
  if (!error || typeof error !== 'object') return null
  if (error.code === 'E_REQUEST_ENTITY_TOO_LARGE' || error.type === 'entity.too.large') {
    return { status: 413, code: 'BODY_TOO_LARGE' }
  }
  const message = typeof error.message === 'string' ? error.message : ''
  if (
    error.code === 'E_ENCODING_UNSUPPORTED' ||
    error.type === 'encoding.unsupported' ||
    error.type === 'charset.unsupported' ||
    (error.status === 415 && message.startsWith('Unsupported Content-Encoding'))
  ) {
    return { status: 415, code: 'BODY_ENCODING_UNSUPPORTED' }
  }
  /* The body parser marks what JSON.parse threw with status 400 and the text it could not read. */
  if (error.status === 400 && typeof error.body === 'string' && (error instanceof SyntaxError || error instanceof RangeError)) {
    return { status: 400, code: 'JSON_INVALID' }
  }
  if (error.status === 422 && message.startsWith('Invalid JSON')) {
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
