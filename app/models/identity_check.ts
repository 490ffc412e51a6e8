import { DateTime } from 'luxon'
import { BaseModel, column } from '@adonisjs/lucid/orm'
import { jsonColumn } from '#models/columns'

export default class IdentityCheck extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare sessionId: number

  @column()
  declare kind: 'face' | 'document'

  /** Relative to the data dir. */
  @column()
  declare photoPath: string

  @column()
  declare result: 'pending' | 'accepted' | 'rejected'

  @column()
  declare reason: string | null

  @column(jsonColumn<Record<string, unknown> | null>(null))
  declare details: Record<string, unknown> | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime
}
