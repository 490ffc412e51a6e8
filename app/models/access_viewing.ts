import { BaseModel, column } from '@adonisjs/lucid/orm'

/**
 * One user's current viewing of one recording or photo: the range requests a player makes
 * while it plays and seeks, until the user is idle for ARCHIVE_VIEWING_IDLE_MINUTES. Only the
 * request that opens a viewing is written to the action archive.
 */
export default class AccessViewing extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare userId: number

  @column()
  declare subjectType: string

  @column()
  declare subjectId: string

  @column()
  declare ip: string | null

  @column()
  declare auditEntryId: number | null

  /** Epoch milliseconds. */
  @column()
  declare startedAt: number

  /** Epoch milliseconds; refreshed at most once a minute (see record_access.ts). */
  @column()
  declare lastAccessAt: number
}
