import vine from '@vinejs/vine'
import { strictObject } from '#validators/rules'

/** The login form (url-encoded; read with validateForm, which sets the CSRF token aside). */
export const loginValidator = vine.create(
  strictObject({
    email: vine.string().trim().email().maxLength(254),
    password: vine.string().minLength(1).maxLength(200),
  })
)
