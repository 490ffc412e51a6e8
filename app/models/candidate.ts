import { DateTime } from 'luxon'
import { BaseModel, belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import Group from '#models/group'

/** A student as the LMS or linking system knows them; they have no password of ours. */
export default class Candidate extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare fullName: string

  @column()
  declare groupId: number | null

  @column()
  declare iin: string | null

  @column()
  declare email: string | null

  @column()
  declare systemId: number | null

  @column()
  declare externalId: string | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @belongsTo(() => Group)
  declare group: BelongsTo<typeof Group>
}
