import { DateTime } from 'luxon'
import { booleanColumn } from '#models/columns'
import { BaseModel, column } from '@adonisjs/lucid/orm'
import { jsonColumn } from '#models/columns'

export default class ProctoringEvent extends BaseModel {
  static table = 'events'

  @column({ isPrimary: true })
  declare id: number

  @column()
  declare sessionId: number

  @column()
  declare attemptId: number | null

  @column()
  declare type: string

  @column()
  declare source: 'browser' | 'analysis' | 'proctor'

  @column(booleanColumn)
  declare isViolation: boolean

  @column.dateTime()
  declare startedAt: DateTime

  @column.dateTime()
  declare endedAt: DateTime | null

  @column()
  declare snapshotPath: string | null

  @column(jsonColumn<Record<string, unknown> | null>(null))
  declare details: Record<string, unknown> | null

  @column()
  declare clientEventId: string | null

  @column()
  declare recordingId: number | null

  @column()
  declare offsetStart: number | null

  @column()
  declare offsetEnd: number | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime
}
