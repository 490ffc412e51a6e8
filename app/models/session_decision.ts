import { DateTime } from 'luxon'
import { BaseModel, column } from '@adonisjs/lucid/orm'
import type { Decision } from '#models/proctoring_session'

/** One decision set on a session, kept for its history (written by app/actions/reviews/decisions.ts). */
export default class SessionDecision extends BaseModel {
  static table = 'session_decisions'

  @column({ isPrimary: true })
  declare id: number

  @column()
  declare sessionId: number

  @column()
  declare decision: Decision

  /** The decision it replaced. */
  @column()
  declare previous: Decision

  @column()
  declare comment: string | null

  @column()
  declare userId: number | null

  @column()
  declare actorName: string

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime
}
