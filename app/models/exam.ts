import { DateTime } from 'luxon'
import { booleanColumn } from '#models/columns'
import { BaseModel, belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import Discipline from '#models/discipline'
import { jsonColumn } from '#models/columns'

export type ExamRules = { allowed: string[]; forbidden: string[] }

export default class Exam extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare title: string

  @column()
  declare disciplineId: number | null

  @column()
  declare systemId: number | null

  @column()
  declare examUrl: string | null

  @column()
  declare durationMinutes: number

  @column()
  declare violationLimit: number

  @column(jsonColumn<Record<string, number>>({}))
  declare weights: Record<string, number>

  @column()
  declare passThreshold: number

  @column()
  declare reconnectWindowSeconds: number

  @column(booleanColumn)
  declare requiresScreen: boolean

  @column(booleanColumn)
  declare requiresPhone: boolean

  @column(jsonColumn<ExamRules>({ allowed: [], forbidden: [] }))
  declare rules: ExamRules

  @column.dateTime()
  declare opensAt: DateTime | null

  @column.dateTime()
  declare closesAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime | null

  @belongsTo(() => Discipline)
  declare discipline: BelongsTo<typeof Discipline>
}
