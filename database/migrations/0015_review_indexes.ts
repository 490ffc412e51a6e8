import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Indexes the review pages need on a big appliance (bench/results: 100,000 sessions, 3,000,000
 * events). Each one was found with EXPLAIN QUERY PLAN on that database:
 * - identity_checks (session_id, kind): the results list's photo column and the report's
 *   identity panel read a session's checks; without it, a scan of every check (~30 ms a page).
 * - proctoring_sessions (candidate_id): grouping by student reads the page's candidates'
 *   sessions, and the list marks retakes by candidate (a scan, ~240 ms, without it).
 * - proctoring_sessions (exam_id): the sessions of an exam (exam filters, an exam's delete check).
 * - proctoring_sessions (credibility), (ended_at), (viewed_at), (decision): sorting on those
 *   columns walks the index and stops at the page instead of sorting every session (~90 ms).
 * - candidates (group_id): the group filter counts a group's sessions (~30 ms without it).
 * - recordings (session_id), jobs (unique_key): the report reads its recordings and its
 *   processing job by session.
 * - audit_entries (action), (subject_type, subject_id): the action archive's filters and the
 *   report's archive panel.
 * No index leads with `archived`: the results list filters on it for almost every row, and such
 * an index makes SQLite fetch every session through it (450 ms instead of 2 ms for page one).
 * And no ANALYZE: with its statistics SQLite counts the whole list through the exam index
 * (~700 ms instead of ~70 ms for the unfiltered count); without them it scans the sessions.
 */
const INDEXES: [string, string[]][] = [
  ['identity_checks', ['session_id', 'kind']],
  ['proctoring_sessions', ['candidate_id']],
  ['proctoring_sessions', ['exam_id']],
  ['proctoring_sessions', ['credibility']],
  ['proctoring_sessions', ['ended_at']],
  ['proctoring_sessions', ['viewed_at']],
  ['proctoring_sessions', ['decision']],
  ['candidates', ['group_id']],
  ['recordings', ['session_id']],
  ['jobs', ['unique_key']],
  ['audit_entries', ['action']],
  ['audit_entries', ['subject_type', 'subject_id']],
]

const nameOf = (table: string, columns: string[]) => `${table}_${columns.join('_')}_index`

export default class extends BaseSchema {
  async up() {
    for (const [table, columns] of INDEXES) {
      this.schema.alterTable(table, (t) => {
        t.index(columns, nameOf(table, columns))
      })
    }
  }

  async down() {
    for (const [table, columns] of INDEXES) {
      this.schema.alterTable(table, (t) => {
        t.dropIndex(columns, nameOf(table, columns))
      })
    }
  }
}
