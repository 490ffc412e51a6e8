import { DateTime } from 'luxon'
import { BaseModel, column } from '@adonisjs/lucid/orm'

export const TLS_MODES = ['none', 'starttls', 'tls'] as const
export type TlsMode = (typeof TLS_MODES)[number]

/** The SMTP server the appliance sends through (one row, id 1), set by an admin at /staff/mail. */
export default class MailSetting extends BaseModel {
  static table = 'mail_settings'

  @column({ isPrimary: true })
  declare id: number

  @column()
  declare host: string

  @column()
  declare port: number

  /** none: plain SMTP; starttls: upgrade required after connecting; tls: TLS from the first byte (465). */
  @column()
  declare tlsMode: TlsMode

  @column()
  declare username: string | null

  /** Encrypted with the app's key (purpose `mail-smtp-password`); never shown back. */
  @column({ serializeAs: null })
  declare password: string | null

  @column()
  declare fromAddress: string

  @column()
  declare fromName: string | null

  @column()
  declare updatedBy: number | null

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime
}
