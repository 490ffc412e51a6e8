import vine from '@vinejs/vine'
import { plainText, strictObject } from '#validators/rules'

/*
| The action archive page (/staff/archive): its filters come from the URL (bookmarkable); the
| verify button posts nothing but its CSRF token.
*/

const day = () => vine.date({ formats: ['YYYY-MM-DD'] })

/** Unknown query keys are left alone (a page may carry `lang`); the known ones must make sense. */
export const archiveFilterValidator = vine.create(
  vine.object({
    who: plainText(200).optional().nullable(),
    action: vine.string().maxLength(64).regex(/^[a-z_]+(\.[a-z_]+)*$/).optional().nullable(),
    target: plainText(200).optional().nullable(),
    from: day().optional().nullable(),
    to: day().optional().nullable(),
    page: vine.number().withoutDecimals().min(1).max(1_000_000).optional().nullable(),
  })
)

/** "Verify the archive" takes no fields. */
export const archiveVerifyValidator = vine.create(strictObject({}))
