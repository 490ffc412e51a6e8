import vine from '@vinejs/vine'
import { isValidIin } from '#services/iin'
import { emailAddress, plainText, strictObject } from '#validators/rules'

/*
| What the candidates pages take: the candidate form (/staff/candidates/new, /:id/edit), the
| list's filters from the URL, and the directory forms (groups, disciplines, systems).
| Forms arrive url-encoded; an empty field arrives as null (convertEmptyStringsToNull).
*/

const iinRule = vine.createRule(
  (value, _options, field) => {
    if (typeof value !== 'string') return
    if (!isValidIin(value.replace(/\s+/g, ''))) field.report('The IIN must be 12 digits with a valid check digit', 'iin', field)
  },
  { name: 'iin' }
)

/** An IIN as people type it: spaces dropped, then 12 digits with a valid check digit. */
export const iinField = () =>
  vine
    .string()
    .maxLength(32)
    .use(iinRule())
    .transform((value) => value.replace(/\s+/g, ''))

const rowId = () => vine.number().withoutDecimals().min(1).max(Number.MAX_SAFE_INTEGER)

/** The candidate form. `id` of the candidate being edited, so its own IIN is not a duplicate. */
export const candidateValidator = vine.create(
  strictObject({
    fullName: plainText(200).trim().minLength(3),
    groupId: rowId().exists({ table: 'groups', column: 'id' }).optional().nullable(),
    iin: iinField().optional().nullable(),
    email: emailAddress().optional().nullable(),
    externalId: plainText(100).trim().optional().nullable(),
  })
)

/** /staff/candidates filters from the URL (bookmarkable); unknown keys (`lang`) are left alone. */
export const candidatesFilterValidator = vine.create(
  vine.object({
    q: plainText(200).optional().nullable(),
    group: rowId().optional().nullable(),
    page: vine.number().withoutDecimals().min(1).max(100_000).optional().nullable(),
  })
)

/** A group, a discipline: a name (and for a discipline an optional code). */
export const groupValidator = vine.create(strictObject({ name: plainText(100).trim().minLength(1) }))
export const disciplineValidator = vine.create(
  strictObject({ name: plainText(200).trim().minLength(1), code: plainText(50).trim().optional().nullable() })
)

/** One row of an import file, by the template's column names (cells are text). */
export const importRowValidator = vine.create(
  vine.object({
    full_name: plainText(200).trim().minLength(3),
    group: plainText(100).trim().optional().nullable(),
    iin: vine.string().maxLength(32).optional().nullable(),
    email: emailAddress().optional().nullable(),
    external_id: plainText(100).trim().optional().nullable(),
  })
)

const httpsUrl = () => plainText(500).trim().url({ require_protocol: true, protocols: ['https', 'http'] })

/** An integration students arrive through: an LTI 1.3 platform (its endpoints) or a signed-link system. */
export const systemValidator = vine.create(
  strictObject({
    name: plainText(100).trim().minLength(1),
    kind: vine.enum(['lti', 'link'] as const),
    active: vine.boolean().optional(),
    issuer: plainText(500).trim().optional().nullable(),
    clientId: plainText(200).trim().optional().nullable(),
    deploymentId: plainText(200).trim().optional().nullable(),
    jwksUrl: httpsUrl().optional().nullable(),
    authLoginUrl: httpsUrl().optional().nullable(),
    /** Other systems: where session ends and decisions are POSTed (http or https). */
    webhookUrl: httpsUrl().optional().nullable(),
  })
)
