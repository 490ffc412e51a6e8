import { BaseModel, column } from '@adonisjs/lucid/orm'
import { jsonColumn } from '#models/columns'

/** One line of the action archive. Written only by the record_action action; never updated. */
export default class AuditEntry extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare userId: number | null

  @column()
  declare actorName: string

  @column()
  declare actorIin: string | null

  @column()
  declare actorRole: string

  @column()
  declare action: string

  @column()
  declare subjectType: string | null

  @column()
  declare subjectId: string | null

  @column(jsonColumn<Record<string, unknown> | null>(null))
  declare details: Record<string, unknown> | null

  @column()
  declare ip: string | null

  /** ISO-8601 text, kept as written so the hash can be recomputed exactly. */
  @column()
  declare createdAt: string

  @column()
  declare prevHash: string

  @column()
  declare hash: string
}
