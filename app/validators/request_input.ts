import type { HttpRequest } from '@adonisjs/core/http'
import { errors as vineErrors } from '@vinejs/vine'
import AppError from '#exceptions/app_error'

/*
| How every controller reads what a client sent: only the part it expects (the body, or the
| query string), of the type it expects, through a schema that refuses unknown keys
| (app/validators/rules.ts). Unlike `request.validateUsing`, which mixes query, body, route
| params, headers and cookies into one object, a key in the wrong place is not silently taken.
*/

/** A compiled VineJS validator (`vine.create(...)`). */
type Validator<Output> = { validate(data: unknown): Promise<Output> }

const JSON_TYPES = ['application/json']
const FORM_TYPES = ['application/x-www-form-urlencoded']

/** Whether the client sent body bytes (type-is counts `Content-Length: 0` as a body). */
function hasBody(request: HttpRequest) {
  const length = request.header('content-length')
  return request.header('transfer-encoding') !== undefined || (length !== undefined && length !== '0')
}

function refuseOtherTypes(request: HttpRequest, types: string[]) {
  /* A POST without body bytes is an empty body, whatever its type says. */
  if (hasBody(request) && !request.is(types)) {
    throw new AppError('CONTENT_TYPE_INVALID', 415, { expected: types[0] })
  }
}

/**
 * The body parser's JSON reader drops `__proto__` keys and `constructor.prototype` without a
 * word, so the schema never sees them: find them in the text (escaped or not) and refuse
 * them as the unknown keys they are.
 */
function refusePrototypeKeys(raw: string | null) {
  if (!raw || !/__proto__|constructor|\\u/.test(raw)) return
  const found: string[] = []
  JSON.parse(raw, (key, value) => {
    if (key === '__proto__' || key === 'constructor') found.push(key)
    return value
  })
  if (found.length) {
    throw new vineErrors.E_VALIDATION_ERROR(
      found.map((key) => ({ field: key, rule: 'unknownKey', message: `The field "${key}" is not accepted here`, meta: { key } }))
    )
  }
}

/** The JSON body, validated. A body of another type is refused with CONTENT_TYPE_INVALID (415). */
export function validateJson<Output>(request: HttpRequest, validator: Validator<Output>) {
  refuseOtherTypes(request, JSON_TYPES)
  refusePrototypeKeys(request.raw())
  return validator.validate(request.body())
}

/** A form post's fields, validated (the CSRF token, already checked by Shield, is set aside). */
export function validateForm<Output>(request: HttpRequest, validator: Validator<Output>) {
  refuseOtherTypes(request, FORM_TYPES)
  const { _csrf, ...fields } = request.body()
  return validator.validate(fields)
}

/** The query string, validated (a page's filters); an empty field (`?q=`) counts as absent. */
export function validateQuery<Output>(request: HttpRequest, validator: Validator<Output>) {
  const fields = Object.entries(request.qs()).filter(([, value]) => value !== '')
  return validator.validate(Object.fromEntries(fields))
}

/** A body that is not JSON or a form: only the given types (e.g. the speed test's octet stream). */
export function requireBodyType(request: HttpRequest, types: string[]) {
  if (!request.is(types)) throw new AppError('CONTENT_TYPE_INVALID', 415, { expected: types[0] })
}

/**
 * A number in a route parameter or header (a sequence number, a count): digits only, no
 * sign, no leading zero, no exponent (`Number()` would take "1e3", " 7", "7.0" and "0x7").
 * Anything else is null.
 */
export function wholeNumberParam(value: unknown, max = Number.MAX_SAFE_INTEGER): number | null {
  const text = String(value ?? '')
  if (!/^(0|[1-9][0-9]{0,15})$/.test(text)) return null
  const number = Number(text)
  return number <= max ? number : null
}

/** A route parameter that names a row by its number (1 or more); anything else names nothing. */
export function idParam(value: unknown, max = Number.MAX_SAFE_INTEGER): number | null {
  const id = wholeNumberParam(value, max)
  return id === null || id === 0 ? null : id
}
