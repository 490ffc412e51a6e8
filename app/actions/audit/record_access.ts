import db from '@adonisjs/lucid/services/db'
import archiveConfig from '#config/archive'
import AccessViewing from '#models/access_viewing'
import { appendEntry, recordAction, type Actor } from '#actions/audit/record_action'

export type AccessSubject = 'recording' | 'photo'

export type AccessInput = {
  subjectType: AccessSubject
  subjectId: string | number
  /** `?download=1`: the file is saved, not played; always an entry of its own. */
  download: boolean
  /** The Range header as sent (null: the whole file). */
  range: string | null
  details?: Record<string, unknown>
  ip: string
}

const idleMs = () => archiveConfig.viewingIdleMinutes * 60_000

/**
 * A continuing viewing's last access is written at most this often, so a playing video's
 * range requests mostly cost one read and no write. The stored time may lag the real one by
 * this much, which can only end a viewing early (one more entry), never hide an access.
 */
const refreshMs = () => Math.min(60_000, idleMs() / 10)

function continues(viewing: AccessViewing | null, ip: string, now: number): viewing is AccessViewing {
  return viewing !== null && viewing.ip === ip && now - viewing.lastAccessAt < idleMs()
}

/**
 * Archives a staff access to a recording or a photo, whatever byte range it asks for: one
 * entry per user, file and viewing (a viewing ends after ARCHIVE_VIEWING_IDLE_MINUTES without
 * a request, or when the requests come from another address), and one per download. The
 * entry is written before any byte is sent; if it cannot be written, nothing is sent.
 * Viewings are kept in the database, so all web processes share them.
 */
export async function recordAccess(actor: Actor, access: AccessInput) {
  const action = `${access.subjectType}.${access.download ? 'download' : 'view'}`
  const entry = {
    action,
    subjectType: access.subjectType,
    subjectId: access.subjectId,
    details: { ...access.details, range: access.range },
    ip: access.ip,
  }
  if (access.download || actor.userId === null) return recordAction(actor, entry)
  const userId = actor.userId
  const key = { userId, subjectType: access.subjectType, subjectId: String(access.subjectId) }

  const now = Date.now()
  const seen = await AccessViewing.query().where(key).first()
  if (continues(seen, access.ip, now) && now - seen.lastAccessAt < refreshMs()) return null

  /* IMMEDIATE: the read below is under the write lock, so two processes never both open a viewing. */
  return db.transaction(async (trx) => {
    const viewing = await AccessViewing.query({ client: trx }).where(key).first()
    if (continues(viewing, access.ip, now)) {
      viewing.lastAccessAt = Math.max(viewing.lastAccessAt, now)
      await viewing.useTransaction(trx).save()
      return null
    }
    const opened = await appendEntry(trx, actor, entry)
    await AccessViewing.updateOrCreate(
      key,
      { ip: access.ip, auditEntryId: opened.id, startedAt: now, lastAccessAt: now },
      { client: trx }
    )
    return opened
  })
}
