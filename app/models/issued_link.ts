import { DateTime } from 'luxon'
import { BaseModel, belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import Exam from '#models/exam'
import Candidate from '#models/candidate'
import { jsonColumn } from '#models/columns'

/** An entry link as issued (panel or `ace link:issue`): the signed link names it by its nonce. */
export default class IssuedLink extends BaseModel {
  static table = 'issued_links'

  @column({ isPrimary: true })
  declare id: number

  @column()
  declare nonce: string

  @column()
  declare examId: number

  @column(jsonColumn<number[]>([]))
  declare examIds: number[]

  @column()
  declare candidateId: number

  @column.dateTime()
  declare expiresAt: DateTime

  @column()
  declare issuedBy: number | null

  @column.dateTime()
  declare openedAt: DateTime | null

  @column.dateTime()
  declare revokedAt: DateTime | null

  /** The outbox message that carried this link to the candidate (links by e-mail), if it was sent. */
  @column()
  declare mailedOutboxId: number | null

  @column()
  declare revokedBy: number | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @belongsTo(() => Exam)
  declare exam: BelongsTo<typeof Exam>

  @belongsTo(() => Candidate)
  declare candidate: BelongsTo<typeof Candidate>
}
