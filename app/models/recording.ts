import { DateTime } from 'luxon'
import { BaseModel, column, hasMany } from '@adonisjs/lucid/orm'
import type { HasMany } from '@adonisjs/lucid/types/relations'
import RecordingChunk from '#models/recording_chunk'
import { jsonColumn } from '#models/columns'

export const STREAMS = ['webcam', 'screen', 'phone'] as const
export type StreamKind = (typeof STREAMS)[number]

export default class Recording extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare sessionId: number

  @column()
  declare attemptId: number

  @column()
  declare stream: StreamKind

  @column()
  declare mimeType: string

  @column()
  declare chunkCount: number

  @column()
  declare expectedChunks: number | null

  @column()
  declare bytes: number

  @column()
  declare status: 'recording' | 'complete' | 'processing' | 'ready' | 'failed'

  @column()
  declare filePath: string | null

  @column()
  declare durationSeconds: number | null

  @column()
  declare analysedChunks: number

  @column()
  declare analysedSeconds: number

  @column(jsonColumn<Record<string, any> | null>(null))
  declare analysisState: Record<string, any> | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime | null

  @hasMany(() => RecordingChunk, { foreignKey: 'recordingId' })
  declare chunks: HasMany<typeof RecordingChunk>
}
