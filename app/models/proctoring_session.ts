import { DateTime } from 'luxon'
import { booleanColumn } from '#models/columns'
import { BaseModel, belongsTo, column, hasMany } from '@adonisjs/lucid/orm'
import type { BelongsTo, HasMany } from '@adonisjs/lucid/types/relations'
import Exam from '#models/exam'
import Candidate from '#models/candidate'
import Attempt from '#models/attempt'
import Recording from '#models/recording'
import ProctoringEvent from '#models/proctoring_event'
import { jsonColumn } from '#models/columns'

export const SESSION_STATUSES = ['not_started', 'in_progress', 'finished', 'stopped'] as const
export type SessionStatus = (typeof SESSION_STATUSES)[number]
export const DECISIONS = ['none', 'accepted', 'rejected', 'review'] as const
export type Decision = (typeof DECISIONS)[number]

export default class ProctoringSession extends BaseModel {
  static table = 'proctoring_sessions'

  @column({ isPrimary: true })
  declare id: number

  @column()
  declare publicId: string

  @column()
  declare examId: number

  @column()
  declare candidateId: number

  @column()
  declare systemId: number | null

  /** The quiz to frame when an LTI launch named one (custom parameter quiz_url); else the exam's examUrl. */
  @column()
  declare quizUrl: string | null

  @column()
  declare status: SessionStatus

  @column()
  declare endReason: string | null

  /** What a proctor wrote when stopping the session live (shown to the student and on the report). */
  @column()
  declare stopNote: string | null

  @column.dateTime()
  declare startedAt: DateTime | null

  @column.dateTime()
  declare endedAt: DateTime | null

  @column()
  declare credibility: number | null

  @column(jsonColumn<Record<string, unknown> | null>(null))
  declare credibilityBreakdown: Record<string, unknown> | null

  @column()
  declare decision: Decision

  @column()
  declare decidedBy: number | null

  @column.dateTime()
  declare decidedAt: DateTime | null

  @column.dateTime()
  declare viewedAt: DateTime | null

  @column(booleanColumn)
  declare archived: boolean

  @column.dateTime()
  declare consentedAt: DateTime | null

  @column.dateTime()
  declare lastSeenAt: DateTime | null

  @column.dateTime()
  declare phoneLastSeenAt: DateTime | null

  /** Which sitting of this exam this is for the candidate: 1, or 2, 3... after a retake. */
  @column()
  declare sitting: number

  /** Browser events that count against the exam's violation limit. */
  @column()
  declare violationCount: number

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime | null

  @belongsTo(() => Exam)
  declare exam: BelongsTo<typeof Exam>

  @belongsTo(() => Candidate)
  declare candidate: BelongsTo<typeof Candidate>

  @hasMany(() => Attempt, { foreignKey: 'sessionId' })
  declare attempts: HasMany<typeof Attempt>

  @hasMany(() => Recording, { foreignKey: 'sessionId' })
  declare recordings: HasMany<typeof Recording>

  @hasMany(() => ProctoringEvent, { foreignKey: 'sessionId' })
  declare events: HasMany<typeof ProctoringEvent>

  get isOpen() {
    return this.status === 'not_started' || this.status === 'in_progress'
  }
}
