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

  /** The file holding the chunk, relative to the data dir; shared with the stream's other chunks. */
  @column()
  declare path: string

  /** Where the chunk's bytes begin in that file (see app/services/chunk_files.ts). */
  @column()
  declare byteOffset: number

  @column.dateTime()
  declare receivedAt: DateTime
}
