import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import AuditEntry from '#models/audit_entry'

/** The action archive page's filters (all optional; from the URL). */
export type ArchiveFilters = {
  /** A part of the actor's name, or their IIN (or its start). */
  who: string
  /** An action code as archived (`report.view`). */
  action: string
  /** `session:<public id>`, `recording:7`, `candidate 12`, or a bare id / session public id. */
  target: string
  /** Days (YYYY-MM-DD, the appliance's time zone), inclusive. */
  from: string
  to: string
}

export const NO_ARCHIVE_FILTERS: ArchiveFilters = { who: '', action: '', target: '', from: '', to: '' }

/** A day's start as the archive stores time (ISO-8601 UTC text, comparable as text). */
function dayStart(day: string) {
  const start = DateTime.fromISO(day).startOf('day')
  return start.isValid ? start.toUTC().toISO()! : null
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`)

/** `type:id` or `type id` when the type is a plain word; otherwise the whole text is an id. */
function splitTarget(target: string): { type: string | null; id: string } {
  const match = /^([a-z_]+)\s*[:#\s]\s*(\S+)$/i.exec(target)
  return match ? { type: match[1].toLowerCase(), id: match[2] } : { type: null, id: target }
}

/** Entries of the action archive, newest first, with the filters applied (a query to paginate). */
export function archiveQuery(filters: ArchiveFilters) {
  const query = AuditEntry.query().orderBy('id', 'desc')
  if (filters.who) {
    const who = filters.who
    query.where((w) => {
      w.whereRaw(`actor_name LIKE ? ESCAPE '\\'`, [`%${escapeLike(who)}%`])
      if (/^\d+$/.test(who)) w.orWhereRaw(`actor_iin LIKE ? ESCAPE '\\'`, [`${who}%`])
    })
  }
  if (filters.action) query.where('action', filters.action)
  if (filters.target) {
    const { type, id } = splitTarget(filters.target)
    if (type) {
      query.where('subjectType', type).where('subjectId', id)
    } else {
      /* A bare id: an entry about it, or an access whose details name it as the session. */
      query.where((w) => {
        w.where('subjectId', id).orWhereRaw(`details LIKE ? ESCAPE '\\'`, [`%"session":"${escapeLike(id)}"%`])
      })
    }
  }
  const from = filters.from ? dayStart(filters.from) : null
  if (from) query.where('createdAt', '>=', from)
  const to = filters.to ? DateTime.fromISO(filters.to).plus({ days: 1 }) : null
  if (to?.isValid) query.where('createdAt', '<', dayStart(to.toISODate()!)!)
  return query
}

/** The actions the archive holds (for the filter's list). */
export async function archivedActions(): Promise<string[]> {
  const rows: { action: string }[] = await db.from('audit_entries').distinct('action').orderBy('action')
  return rows.map((row) => row.action)
}

/**
 * What was done with one session: its report viewed, its decision set, incidents added
 * (entries about the session, by public id or row id), its recordings viewed or downloaded (by
 * their ids) and its photos (entries whose details name the session). Oldest first, at most `limit`.
 */
export async function sessionArchive(session: { id: number; publicId: string }, limit = 500) {
  const recordingIds: { id: number }[] = await db.from('recordings').where('session_id', session.id).select('id')
  return AuditEntry.query()
    .where((w) => {
      w.where((s) => s.where('subjectType', 'session').whereIn('subjectId', [session.publicId, String(session.id)]))
      if (recordingIds.length) {
        w.orWhere((s) => s.where('subjectType', 'recording').whereIn('subjectId', recordingIds.map((r) => String(r.id))))
      }
      /* Photos are archived by their own id, with the session in the details (read through the subject index). */
      w.orWhere((s) =>
        s.where('subjectType', 'photo').whereRaw(`details LIKE ? ESCAPE '\\'`, [`%"session":"${escapeLike(session.publicId)}"%`])
      )
    })
    .orderBy('id', 'asc')
    .limit(limit)
}
