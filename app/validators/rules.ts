import vine from '@vinejs/vine'
import type { SchemaTypes } from '@vinejs/vine/types'

/*
| VineJS keeps the keys its schema names and silently drops the others. A body with a key
| we do not know is a client we do not understand (or one probing us): refuse it instead.
*/
const knownKeysOnly = vine.createRule<{ keys: string[] }>(
  (value, { keys }, field) => {
    if (!field.isValidDataType || typeof value !== 'object' || value === null) return
    for (const key of Object.keys(value)) {
      if (!keys.includes(key)) field.report(`The field "${key.slice(0, 64)}" is not accepted here`, 'unknownKey', field, { key: key.slice(0, 64) })
    }
  },
  { name: 'unknownKey' }
)

/** A `vine.object` that refuses any key it does not name. Every body schema is built from these. */
export function strictObject<Properties extends Record<string, SchemaTypes>>(properties: Properties) {
  return vine.object(properties).use(knownKeysOnly({ keys: Object.keys(properties) }))
}

/** How much free-form JSON (an event's or a check's details) we keep: small, shallow, plain. */
export const DETAILS_LIMITS = { maxBytes: 2048, maxDepth: 3, maxKeys: 32, maxKeyLength: 64, maxStringLength: 512, maxItems: 32 }

/** Why a free-form value is refused, or null when it fits the limits. */
export function detailsProblem(value: unknown, limits = DETAILS_LIMITS): string | null {
  const walk = (node: unknown, depth: number): string | null => {
    if (node === null || typeof node === 'boolean') return null
    if (typeof node === 'number') return Number.isFinite(node) ? null : 'a number is out of range'
    if (typeof node === 'string') {
      if (node.length > limits.maxStringLength) return `a text is longer than ${limits.maxStringLength} characters`
      /* A lone surrogate cannot be stored as UTF-8: it would come back as something else. */
      return node.isWellFormed() ? null : 'a text is not valid Unicode'
    }
    if (typeof node !== 'object') return 'a value is of an unknown kind'
    if (depth >= limits.maxDepth) return `nested deeper than ${limits.maxDepth} levels`
    if (Array.isArray(node)) {
      if (node.length > limits.maxItems) return `a list has more than ${limits.maxItems} items`
      for (const item of node) {
        const problem = walk(item, depth + 1)
        if (problem) return problem
      }
      return null
    }
    const entries = Object.entries(node)
    if (entries.length > limits.maxKeys) return `more than ${limits.maxKeys} keys`
    for (const [key, item] of entries) {
      if (key.length > limits.maxKeyLength || !key.isWellFormed()) return 'a key is too long or not valid Unicode'
      const problem = walk(item, depth + 1)
      if (problem) return problem
    }
    return null
  }
  const problem = walk(value, 0)
  if (problem) return problem
  return Buffer.byteLength(JSON.stringify(value)) > limits.maxBytes ? `larger than ${limits.maxBytes} bytes` : null
}

const boundedDetails = vine.createRule(
  (value, _options, field) => {
    if (!field.isValidDataType) return
    const problem = detailsProblem(value)
    if (problem) field.report(`The ${field.name} field is refused: ${problem}`, 'details', field)
  },
  { name: 'details' }
)

/** Free-form details a page may attach: an object, bounded by DETAILS_LIMITS. */
export function details() {
  return vine.record(vine.any()).use(boundedDetails())
}

/**
 * Control characters (NUL, line breaks...) and invisible format characters (zero-width
 * spaces and joiners, right-to-left overrides, byte-order marks): they make one text look
 * like another, in a log line, a search or an e-mail address.
 */
const HIDDEN_CHARACTERS = /[\p{Cc}\p{Cf}]/u

const wellFormedText = vine.createRule(
  (value, _options, field) => {
    if (typeof value !== 'string') return
    if (!value.isWellFormed() || HIDDEN_CHARACTERS.test(value)) {
      field.report(`The ${field.name} field contains characters that are not allowed`, 'plainText', field)
    }
  },
  { name: 'plainText' }
)

/** A short text of plain, well-formed Unicode (no control or invisible format characters). */
export function plainText(maxLength: number) {
  return vine
    .string()
    .maxLength(maxLength)
    .use(wellFormedText())
}

/** An e-mail address as staff accounts have them: ASCII before the @, nothing hidden. */
export function emailAddress() {
  return vine.string().trim().maxLength(254).email({ allow_utf8_local_part: false }).use(wellFormedText())
}

/** A JSON number (a numeric string is a wrong type in a JSON body). */
export const jsonNumber = () => vine.number({ strict: true })

/** A positive whole number, as ids and counters are. */
export const positiveInt = (max: number) => vine.number({ strict: true }).withoutDecimals().min(1).max(max)
