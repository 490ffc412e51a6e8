import { DateTime } from 'luxon'
import { booleanColumn, jsonColumn } from '#models/columns'
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

  /** LTI: the platform's OAuth2 token endpoint (client credentials for NRPS and AGS). */
  @column()
  declare tokenUrl: string | null

  /** LTI: every deployment id registered for this platform (the first is also deploymentId). */
  @column(jsonColumn<string[]>([]))
  declare deploymentIds: string[]

  /** LTI: 'manual' (the admin's form) or 'dynamic' (LTI Dynamic Registration). */
  @column()
  declare registrationSource: 'manual' | 'dynamic' | null

  /** Encrypted (app/actions/systems/secrets.ts): signs the links this system builds. */
  @column({ serializeAs: null })
  declare linkSecret: string | null

  @column.dateTime()
  declare linkSecretAt: DateTime | null

  /** Where session and decision events are POSTed (app/services/webhooks.ts). */
  @column()
  declare webhookUrl: string | null

  /** Encrypted: signs the webhooks sent to this system (its own secret, not the link's). */
  @column({ serializeAs: null })
  declare webhookSecret: string | null

  @column.dateTime()
  declare webhookSecretAt: DateTime | null

  @column(booleanColumn)
  declare active: boolean

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime | null
}
