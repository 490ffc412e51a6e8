import vine from '@vinejs/vine'
import { DECISIONS } from '#models/proctoring_session'
import { strictObject } from '#validators/rules'

/** Control and invisible format characters, except the line breaks and tabs a comment may have. */
const HIDDEN_EXCEPT_LINES = /(?![\n\r\t])[\p{Cc}\p{Cf}]/u

const commentText = vine.createRule(
  (value, _options, field) => {
    if (typeof value !== 'string') return
    if (!value.isWellFormed() || HIDDEN_EXCEPT_LINES.test(value)) {
      field.report(`The ${field.name} field contains characters that are not allowed`, 'plainText', field)
    }
  },
  { name: 'commentText' }
)

/**
 * POST /staff/sessions/:id/decision: the decision and an optional comment (several lines),
 * and where a plain form goes back to (only a path of the staff pages; see safeBack).
 */
export const decisionValidator = vine.create(
  strictObject({
    decision: vine.enum(DECISIONS),
    comment: vine.string().maxLength(2000).use(commentText()).optional().nullable(),
    back: vine.string().maxLength(2000).optional().nullable(),
    /** What an HTMX post gets back: the report's panel, or a results row's cell. */
    view: vine.enum(['panel', 'cell']).optional(),
  })
)

/** A same-site staff path to go back to, or null (an absolute URL, `//host`, `/\host` or anything odd is not one). */
export function safeBack(back: string | null | undefined): string | null {
  if (!back) return null
  if (!/^\/staff\/[A-Za-z0-9\-._~/?&=%+,:;@]*$/.test(back)) return null
  const path = back.split('?')[0]
  if (back.includes('//') || path.includes('/..') || back.includes('\\') || /%2e|%2f|%5c/i.test(path)) return null
  return back
}
