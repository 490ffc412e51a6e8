import vine from '@vinejs/vine'
import { DECISIONS, SESSION_STATUSES } from '#models/proctoring_session'
import { RESULT_SORTS } from '#actions/reviews/list_results'
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
const percent = () => vine.number().min(0).max(100).optional().nullable()
const listId = () => vine.number().withoutDecimals().min(1).max(Number.MAX_SAFE_INTEGER).optional().nullable()
/** A local date-time as an <input type="datetime-local"> sends it. */
const localDateTime = () => vine.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/).optional().nullable()

export const resultsFilterValidator = vine.create(
  vine.object({
    q: plainText(200).optional().nullable(),
    exam: plainText(200).optional().nullable(),
    from: localDateTime(),
    to: localDateTime(),
    group: listId(),
    discipline: listId(),
    status: vine.enum(SESSION_STATUSES).optional().nullable(),
    cmin: percent(),
    cmax: percent(),
    decision: vine.enum(DECISIONS).optional().nullable(),
    system: listId(),
    pkn: vine.enum(['0', '1']).optional().nullable(),
    archive: vine.enum(['1']).optional().nullable(),
    sort: vine.enum(RESULT_SORTS).optional().nullable(),
    dir: vine.enum(['asc', 'desc']).optional().nullable(),
    group_by: vine.enum(['student']).optional().nullable(),
    page: vine.number().withoutDecimals().min(1).max(100_000).optional().nullable(),
    size: vine.enum(['25', '50', '100']).optional().nullable(),
  })
)

/** A calendar day as an <input type="date"> sends it. */
const localDate = () => vine.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional().nullable()

/** The statistics page's filters (seed 003 §4): a range of days, an exam, a group, a discipline. */
export const statisticsFilterValidator = vine.create(
  vine.object({
    from: localDate(),
    to: localDate(),
    exam: listId(),
    group: listId(),
    discipline: listId(),
  })
)
