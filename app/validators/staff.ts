import vine from '@vinejs/vine'
import { SESSION_STATUSES } from '#models/proctoring_session'
import { plainText, strictObject } from '#validators/rules'

/*
| What the staff pages take. Forms arrive url-encoded (every value a string), so numbers
| here are read from text; the schemas still refuse keys they do not name.
*/

const rowId = () => vine.number().withoutDecimals().min(1).max(Number.MAX_SAFE_INTEGER)

/** /staff/links: which exams a candidate may sit, and for how long the link lives. */
export const linkValidator = vine.create(
  strictObject({
    examIds: vine.array(rowId().exists({ table: 'exams', column: 'id' })).minLength(1).maxLength(20).distinct(),
    candidateId: rowId().exists({ table: 'candidates', column: 'id' }),
    hours: vine.number().withoutDecimals().min(1).max(24 * 30),
  })
)

/**
 * /staff/results filters, from the URL (bookmarkable). Unknown query keys are left alone
 * (a page may carry `lang`); the known ones must make sense. An empty filter is no filter.
 */
export const resultsFilterValidator = vine.create(
  vine.object({
    q: plainText(200).optional().nullable(),
    exam: plainText(200).optional().nullable(),
    status: vine.enum(SESSION_STATUSES).optional().nullable(),
    page: vine.number().withoutDecimals().min(1).max(100_000).optional().nullable(),
  })
)
