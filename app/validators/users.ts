import vine from '@vinejs/vine'
import { STAFF_ROLES } from '#models/user'
import { emailAddress, plainText, strictObject } from '#validators/rules'

/* /staff/users: staff accounts (admins only). Forms arrive url-encoded; unknown keys are refused. */

const rowId = () => vine.number().withoutDecimals().min(1).max(Number.MAX_SAFE_INTEGER)

/** Which exams and groups a proctor is limited to (none: everything). */
const scopeFields = {
  examIds: vine.array(rowId().exists({ table: 'exams', column: 'id' })).maxLength(200).distinct().optional(),
  groupIds: vine.array(rowId().exists({ table: 'groups', column: 'id' })).maxLength(200).distinct().optional(),
}

export const createUserValidator = vine.create(
  strictObject({
    fullName: plainText(200).minLength(3),
    email: emailAddress().toLowerCase().unique({ table: 'users', column: 'email' }),
    role: vine.enum(STAFF_ROLES),
    ...scopeFields,
  })
)

export const updateUserValidator = vine.create(
  strictObject({
    role: vine.enum(STAFF_ROLES),
    ...scopeFields,
  })
)

/** The one-time page where a staff member chooses a password. */
export const choosePasswordValidator = vine.create(
  strictObject({
    password: vine.string().minLength(10).maxLength(200),
    confirmation: vine.string().maxLength(200).sameAs('password'),
  })
)
