import { DateTime } from 'luxon'
import { BaseModel, column } from '@adonisjs/lucid/orm'

/** One attempt to deliver one event to one system's webhook (app/services/webhooks.ts). */
export default class WebhookDelivery extends BaseModel {
  static table = 'webhook_deliveries'

  @column({ isPrimary: true })
  declare id: number

  @column()
  declare systemId: number

  /** The same for every attempt at one event; the receiver gets it as `deliveryId`. */
  @column()
  declare deliveryId: string

  @column()
  declare event: string

  @column()
  declare sessionPublicId: string | null

  @column()
  declare attempt: number

  @column()
  declare statusCode: number | null

  @column()
  declare error: string | null

  @column.dateTime()
  declare nextTryAt: DateTime | null

  @column.dateTime()
  declare deliveredAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime
}
