import { DateTime } from 'luxon'
import { booleanColumn } from '#models/columns'
import { BaseModel, column } from '@adonisjs/lucid/orm'
import { jsonColumn } from '#models/columns'

export default class ConnectionCheck extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare sessionId: number | null

  @column()
  declare item: string

  @column(booleanColumn)
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
