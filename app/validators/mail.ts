import vine from '@vinejs/vine'
import { TLS_MODES } from '#models/mail_setting'
import { emailAddress, plainText, strictObject } from '#validators/rules'

/* /staff/mail (admins): the SMTP server and the test e-mail. Forms arrive url-encoded; unknown keys are refused. */

/** A host name or an IP address: letters, digits, dots, dashes, colons (IPv6), nothing else. */
const hostName = () =>
  vine
    .string()
    .trim()
    .maxLength(253)
    .regex(/^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+\]?$/)

export const mailSettingsValidator = vine.create(
  strictObject({
    host: hostName(),
    port: vine.number().withoutDecimals().min(1).max(65535),
    tlsMode: vine.enum(TLS_MODES),
    username: plainText(254).trim().optional(),
    /** Left empty: the stored password stays as it is. */
    password: vine.string().maxLength(500).optional(),
    /** Ticked: the stored password is removed (a server that takes mail without login). */
    clearPassword: vine.enum(['1']).optional(),
    fromAddress: emailAddress(),
    fromName: plainText(200).trim().optional(),
  })
)

export const testMailValidator = vine.create(
  strictObject({
    to: emailAddress(),
  })
)

/** The short report's "Send by e-mail" form. */
export const reportMailValidator = vine.create(
  strictObject({
    to: emailAddress(),
  })
)

/** "Forgot password": the address of a staff account. */
export const forgotPasswordValidator = vine.create(
  strictObject({
    email: emailAddress(),
  })
)
