import vine from '@vinejs/vine'
import { strictObject } from '#validators/rules'

/*
| LTI services' forms (url-encoded; every value a string; unknown keys refused).
*/

/** Dynamic registration, confirmed by the admin: what the platform's URL carried. */
export const registrationConfirmValidator = vine.create(
  strictObject({
    openid_configuration: vine.string().maxLength(2000),
    registration_token: vine.string().maxLength(4000).optional(),
  })
)

/** Deep linking: an exam chosen from the list, or a new one (title, minutes). */
export const deepLinkChoiceValidator = vine.create(
  strictObject({
    choice: vine.enum(['existing', 'new']),
    examId: vine.number().withoutDecimals().min(1).max(Number.MAX_SAFE_INTEGER).optional().requiredWhen('choice', '=', 'existing'),
    title: vine.string().trim().minLength(1).maxLength(200).optional().requiredWhen('choice', '=', 'new'),
    durationMinutes: vine.number().withoutDecimals().min(1).max(600).optional().requiredWhen('choice', '=', 'new'),
    /* A new exam's settings (the rest are the defaults; an admin changes them on the exam's page). */
    examUrl: vine.string().trim().maxLength(2000).url({ require_protocol: true, protocols: ['http', 'https'] }).optional().nullable(),
    requiresScreen: vine.boolean().optional(),
    requiresPhone: vine.boolean().optional(),
    requiresFace: vine.boolean().optional(),
    requiresDocument: vine.boolean().optional(),
  })
)

/** A course's "send grades to the course gradebook" switch. */
export const gradesBackValidator = vine.create(
  strictObject({
    gradesBack: vine.enum(['0', '1']),
  })
)

/** The exam an activity opens, chosen by an admin on the courses page. */
export const linkExamValidator = vine.create(
  strictObject({
    examId: vine.number().withoutDecimals().min(1).max(Number.MAX_SAFE_INTEGER),
  })
)
