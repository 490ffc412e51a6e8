import { DateTime } from 'luxon'
import { BaseModel, column } from '@adonisjs/lucid/orm'
import { jsonColumn } from '#models/json_column'

export default class ConnectionCheck extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare sessionId: number | null

  @column()
  declare item: string

  @column()
  declare passed: boolean

  @column()
  declare errorCode: string | null

  @column(jsonColumn<Record<string, unknown> | null>(null))
  declare details: Record<string, unknown> | null

  @column()
  declare userAgent: string | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime
}
