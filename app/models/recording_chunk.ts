import { DateTime } from 'luxon'
import { BaseModel, column } from '@adonisjs/lucid/orm'

export default class RecordingChunk extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare recordingId: number

  @column()
  declare seq: number

  @column()
  declare size: number

  @column({ columnName: 'sha256' })
  declare sha256: string

  /** Relative to the data dir. */
  @column()
  declare path: string

  @column.dateTime()
  declare receivedAt: DateTime
}
