import { DateTime } from 'luxon'
import { booleanColumn } from '#models/columns'
import { BaseModel, belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import Discipline from '#models/discipline'
import { jsonColumn } from '#models/columns'

/** What the rules page shows: items from the list (with icons) and the exam's own words per language. */
export type ExamRules = { allowed: string[]; forbidden: string[]; text?: Partial<Record<ExamLanguage, string>> }
export const EXAM_LANGUAGES = ['kk', 'ru', 'en'] as const
export type ExamLanguage = (typeof EXAM_LANGUAGES)[number]

export default class Exam extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  /** The first title filled in (kk, ru, en): what older code and the results page read. */
  @column()
  declare title: string

  @column()
  declare titleKk: string | null

  @column()
  declare titleRu: string | null

  @column()
  declare titleEn: string | null

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

  /** The browser event kinds that count toward the violation limit; null: every kind. */
  @column(jsonColumn<string[] | null>(null))
  declare countedKinds: string[] | null

  @column(booleanColumn)
  declare requiresFace: boolean

  @column(booleanColumn)
  declare requiresDocument: boolean

  /** Hidden from the exams list (an exam with sessions is archived, never deleted). */
  @column(booleanColumn)
  declare archived: boolean

  /** LTI: a decision posts the score and a comment to the course gradebook (AGS; app/actions/lti/ags_grades.ts). */
  @column(booleanColumn)
  declare ltiGradesBack: boolean

  @column.dateTime()
  declare opensAt: DateTime | null

  @column.dateTime()
  declare closesAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime | null

  /** The title in a language, else in the others (kk, ru, en), else the stored title. */
  titleIn(language: string) {
    const titles: Record<ExamLanguage, string | null> = { kk: this.titleKk, ru: this.titleRu, en: this.titleEn }
    const own = titles[language as ExamLanguage]
    return own || EXAM_LANGUAGES.map((l) => titles[l]).find(Boolean) || this.title
  }

  /** The exam's own rules text in a language, else in the others, else nothing. */
  rulesTextIn(language: string) {
    const text = this.rules.text ?? {}
    return text[language as ExamLanguage] || EXAM_LANGUAGES.map((l) => text[l]).find(Boolean) || null
  }

  /** Whether a browser event of this kind counts toward the violation limit. */
  counts(kind: string) {
    return this.countedKinds === null || this.countedKinds === undefined || this.countedKinds.includes(kind)
  }

  @belongsTo(() => Discipline)
  declare discipline: BelongsTo<typeof Discipline>
}
