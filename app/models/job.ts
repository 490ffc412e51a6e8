import { DateTime } from 'luxon'
import { BaseModel, column } from '@adonisjs/lucid/orm'
import { jsonColumn } from '#models/columns'

export default class Job extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare type: string

  @column(jsonColumn<Record<string, unknown>>({}))
  declare payload: Record<string, unknown>

  @column()
  declare uniqueKey: string | null

  @column()
  declare status: 'queued' | 'running' | 'done' | 'failed'

  @column()
  declare attempts: number

  @column()
  declare maxAttempts: number

  /** Epoch milliseconds: integers compare cheaply in the lease query. */
  @column()
  declare runAt: number

  @column()
  declare leasedUntil: number | null

  @column()
  declare leasedBy: string | null

  @column()
  declare lastError: string | null

  @column()
  declare progress: number

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime | null
}
