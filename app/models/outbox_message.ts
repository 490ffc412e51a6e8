import { DateTime } from 'luxon'
import { BaseModel, column } from '@adonisjs/lucid/orm'

export type OutboxKind = 'test' | 'short_report' | 'password_reset' | 'digest' | 'links'
export type OutboxStatus = 'queued' | 'failed' | 'sent' | 'gave_up'

/** One message the appliance sends, queued first, with where its delivery stands (app/services/mail/outbox.ts). */
export default class OutboxMessage extends BaseModel {
  static table = 'outbox'

  @column({ isPrimary: true })
  declare id: number

  @column()
  declare toAddress: string

  @column()
  declare subject: string

  @column()
  declare kind: OutboxKind

  @column()
  declare language: string

  @column({ serializeAs: null })
  declare bodyText: string

  @column()
  declare attachmentPath: string | null

  @column()
  declare attachmentName: string | null

  @column()
  declare status: OutboxStatus

  @column()
  declare attempts: number

  @column()
  declare maxAttempts: number

  @column()
  declare lastError: string | null

  /** Epoch milliseconds. */
  @column({ consume: (value) => (value === null ? null : Number(value)) })
  declare nextTryAt: number | null

  @column({ consume: (value) => (value === null ? null : Number(value)) })
  declare leasedUntil: number | null

  @column.dateTime()
  declare sentAt: DateTime | null

  @column()
  declare createdBy: number | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime
}
