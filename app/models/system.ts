import { DateTime } from 'luxon'
import { booleanColumn } from '#models/columns'
import { BaseModel, column } from '@adonisjs/lucid/orm'

/** An integration students arrive through: an LTI 1.3 platform or a signed-link system. */
export default class System extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare name: string

  @column()
  declare kind: 'lti' | 'link'

  @column()
  declare issuer: string | null

  @column()
  declare clientId: string | null

  @column()
  declare deploymentId: string | null

  @column()
  declare jwksUrl: string | null

  @column()
  declare authLoginUrl: string | null

  @column({ serializeAs: null })
  declare linkSecret: string | null

  @column(booleanColumn)
  declare active: boolean

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime | null
}
