import vine from '@vinejs/vine'
import { emailAddress, strictObject } from '#validators/rules'

/** The login form (url-encoded; read with validateForm, which sets the CSRF token aside). */
export const loginValidator = vine.create(
  strictObject({
    email: emailAddress(),
    password: vine.string().minLength(1).maxLength(200),
  })
)
