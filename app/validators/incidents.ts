import vine from '@vinejs/vine'
import { INCIDENT_COMMENT_MAX, INCIDENT_KINDS } from '#actions/reviews/incidents'
import { plainText, strictObject } from '#validators/rules'

/** Exam time in seconds as a form sends it: a number, 0 to a day, at most three decimal places. */
const examSeconds = () => vine.number().min(0).max(86_400).decimal([0, 3])

/** POST /staff/sessions/:id/incidents: a range the proctor marks (url-encoded form). */
export const incidentValidator = vine.create(
  strictObject({
    kind: vine.string().in(INCIDENT_KINDS).optional(),
    start: examSeconds(),
    end: examSeconds(),
    comment: plainText(INCIDENT_COMMENT_MAX).optional().nullable(),
    /** Where a plain form goes back to: a staff page's path (the report, unless given). */
    back: vine.string().maxLength(2000).regex(/^\/staff\/[A-Za-z0-9\-._~/?&=%+,:;@#]*$/).optional().nullable(),
  })
)

/** A same-site staff path to go back to, or null (`//host`, `/..` or a backslash is not one). */
export function staffPath(back: string | null | undefined) {
  if (!back || back.includes('//') || back.includes('/..') || back.includes('\\')) return null
  return back
}
