import { DateTime } from 'luxon'
import { BaseModel, column } from '@adonisjs/lucid/orm'

/** One of the tool's own LTI signing keys (app/services/lti/tool_keys.ts). */
export default class LtiToolKey extends BaseModel {
  static table = 'lti_tool_keys'

  @column({ isPrimary: true })
  declare id: number

  @column()
  declare kid: string

  /** The private JWK as JSON, encrypted with the app key (encryption service). */
  @column({ serializeAs: null })
  declare privateJwkEncrypted: string

  @column()
  declare publicJwk: string

  @column()
  declare alg: string

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  /** Set when the key left the published key set (a rotation retires all but the newest two). */
  @column.dateTime()
  declare retiredAt: DateTime | null
}
