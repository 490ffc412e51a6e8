import { DateTime } from 'luxon'
import hash from '@adonisjs/core/services/hash'
import { compose } from '@adonisjs/core/helpers'
import { booleanColumn } from '#models/columns'
import { BaseModel, column } from '@adonisjs/lucid/orm'
import { withAuthFinder } from '@adonisjs/auth/mixins/lucid'

export const STAFF_ROLES = ['admin', 'proctor', 'auditor'] as const
export type StaffRole = (typeof STAFF_ROLES)[number]

const AuthFinder = withAuthFinder(() => hash.use('scrypt'), {
  uids: ['email'],
  passwordColumnName: 'password',
})

export default class User extends compose(BaseModel, AuthFinder) {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare email: string

  @column({ serializeAs: null })
  declare password: string

  @column()
  declare fullName: string

  @column()
  declare iin: string | null

  @column()
  declare role: StaffRole

  @column()
  declare locale: string

  @column(booleanColumn)
  declare active: boolean

  /** An instructor account made on an LTI launch: the platform (system) and its user id (sub). */
  @column()
  declare lmsSystemId: number | null

  @column()
  declare lmsUserId: string | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime | null
}
