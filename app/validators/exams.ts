import vine from '@vinejs/vine'
import { BROWSER_EVENTS } from '#actions/sessions/record_event'
import { DEFAULT_WEIGHTS } from '#actions/reviews/compute_credibility'
import { plainText, strictObject } from '#validators/rules'

/*
| The exam form (/staff/exams/new, /staff/exams/:id/edit). Forms arrive url-encoded: numbers
| are read from text, a checkbox is present ("on") or absent, an empty field is null.
*/

/** The items the rules page can show, each with its icon (resources/views/components/rule_icon.edge). */
export const RULE_ITEMS = ['phone', 'books', 'notes', 'other_people', 'headphones', 'leaving', 'calculator', 'paper', 'water'] as const

/** Every kind of violation the credibility score weighs: the browser's, the analysis' and the proctor's. */
export const WEIGHT_KINDS = Object.keys(DEFAULT_WEIGHTS)

/** Longest free text of the rules, per language. */
export const RULES_TEXT_MAX = 2000

/** A form date-time ("2026-11-24T09:00", from <input type="datetime-local">), in the appliance's time zone. */
const localDateTime = () => vine.string().trim().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/)

/** Free text over several lines: line breaks and tabs allowed, other control or invisible characters not. */
const multilineText = vine.createRule(
  (value, _options, field) => {
    if (typeof value !== 'string') return
    if (!value.isWellFormed() || /[^\P{Cc}\n\r\t]|\p{Cf}/u.test(value)) {
      field.report('The {{ field }} field contains characters that are not allowed', 'plainText', field)
    }
  },
  { name: 'plainText' }
)

const title = () => plainText(200).trim().minLength(1).optional()
const rulesText = () => vine.string().maxLength(RULES_TEXT_MAX).use(multilineText()).optional().nullable()
const weight = () => vine.number().min(0).max(10).optional().nullable()
const checkbox = () => vine.boolean().optional().nullable()

export const examFormValidator = vine.create(
  strictObject({
    /* At least one title: each is required when the two others are missing. */
    titleKk: title().requiredIfMissing(['titleRu', 'titleEn']),
    titleRu: title().requiredIfMissing(['titleKk', 'titleEn']),
    titleEn: title().requiredIfMissing(['titleKk', 'titleRu']),
    disciplineId: vine
      .number()
      .withoutDecimals()
      .min(1)
      .max(Number.MAX_SAFE_INTEGER)
      .exists({ table: 'disciplines', column: 'id' })
      .optional()
      .nullable(),
    durationMinutes: vine.number().withoutDecimals().min(1).max(24 * 60),
    opensAt: localDateTime().optional().nullable(),
    closesAt: localDateTime().optional().nullable(),
    examUrl: vine
      .string()
      .trim()
      .maxLength(2000)
      .url({ require_protocol: true, protocols: ['http', 'https'] })
      .optional()
      .nullable(),
    violationLimit: vine.number().withoutDecimals().min(0).max(1000),
    countedKinds: vine.array(vine.enum(BROWSER_EVENTS)).distinct().optional().nullable(),
    weights: strictObject(Object.fromEntries(WEIGHT_KINDS.map((kind) => [kind, weight()])) as Record<string, ReturnType<typeof weight>>)
      .optional()
      .nullable(),
    passThreshold: vine.number().withoutDecimals().min(0).max(100),
    allowed: vine.array(vine.enum(RULE_ITEMS)).distinct().optional().nullable(),
    forbidden: vine.array(vine.enum(RULE_ITEMS)).distinct().optional().nullable(),
    rulesKk: rulesText(),
    rulesRu: rulesText(),
    rulesEn: rulesText(),
    reconnectWindowMinutes: vine.number().withoutDecimals().min(1).max(120),
    requiresScreen: checkbox(),
    requiresPhone: checkbox(),
    requiresFace: checkbox(),
    requiresDocument: checkbox(),
  })
)

/** /staff/exams/:id/archive: put an exam in the archive (1) or take it out (0). */
export const examArchiveValidator = vine.create(strictObject({ archived: vine.boolean() }))

/** The list's one filter: show the archived exams too. */
export const examListValidator = vine.create(vine.object({ archived: vine.boolean().optional().nullable() }))

export type ExamForm = Awaited<ReturnType<typeof examFormValidator.validate>>
