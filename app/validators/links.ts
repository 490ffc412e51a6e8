import vine, { errors as vineErrors } from '@vinejs/vine'
import { strictObject } from '#validators/rules'

/*
| /staff/links: entry links in bulk. Forms arrive url-encoded (every value a string); the
| schemas refuse keys they do not name.
*/

const rowId = () => vine.number().withoutDecimals().min(1).max(Number.MAX_SAFE_INTEGER)

/** Issue: the exam(s), then a group or a selection of candidates (or both), and the lifetime. */
export const issueLinksValidator = vine.create(
  strictObject({
    examIds: vine.array(rowId().exists({ table: 'exams', column: 'id' })).minLength(1).maxLength(20).distinct(),
    groupId: rowId().exists({ table: 'groups', column: 'id' }).optional(),
    candidateIds: vine.array(rowId().exists({ table: 'candidates', column: 'id' })).minLength(1).maxLength(2000).distinct().optional(),
    hours: vine.number().withoutDecimals().min(1).max(24 * 30),
  })
)

/** The list's filter (from the URL): one exam, and the download format. */
export const linksFilterValidator = vine.create(
  vine.object({
    exam: rowId().optional().nullable(),
  })
)

/** A validation error of our own making (a rule across fields), shown like VineJS's. */
export function fieldError(field: string, rule: string, message: string) {
  return new vineErrors.E_VALIDATION_ERROR([{ field, rule, message }])
}
