import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The results list's count, kept by SQLite itself (bench/results, 100,000 sessions): how many
 * sessions there are per exam, archive flag, status, decision, ПКН and system. A list filtered
 * only on those (or on the exam's name, discipline or archive, which name exams) is counted by
 * summing a few hundred rows instead of reading every session's index entry (20 ms on 100,000).
 * Triggers keep it exact in the same transaction as the change: a session made, deleted (also
 * through its exam's or candidate's deletion), or changed in one of those columns. Other
 * updates (last seen, credibility, viewed) do not touch it.
 *
 * A list filtered on a credibility or start range is counted through an index that leads with
 * that column and holds every other column the filters look at, so that only the range is read
 * (a credibility range of 40 % of the sessions: 40,000 small index entries, no table reads).
 */
const FILTERED = ['archived', 'exam_id', 'status', 'decision', 'end_reason', 'system_id']
const RANGE_INDEXES: Record<string, string[]> = {
  proctoring_sessions_credibility_count_index: ['credibility', ...FILTERED, 'started_at'],
  proctoring_sessions_started_count_index: ['started_at', ...FILTERED, 'credibility'],
}
/* Named as in proctoring_sessions, so the list's own filters apply to it unchanged: end_reason
   keeps only what the ПКН filter asks ('violation_limit' or ''), system_id 0 is none. */
const KEY = ['exam_id', 'archived', 'status', 'decision', 'end_reason', 'system_id']
const values = (row: 'NEW' | 'OLD') =>
  `${row}.exam_id, ${row}.archived <> 0, ${row}.status, ${row}.decision, iif(${row}.end_reason IS 'violation_limit', 'violation_limit', ''), ifnull(${row}.system_id, 0)`
const add = (row: 'NEW' | 'OLD') =>
  `INSERT INTO session_list_counts (${KEY.join(', ')}, n) VALUES (${values(row)}, 1) ON CONFLICT DO UPDATE SET n = n + 1;`
const remove = (row: 'NEW' | 'OLD') =>
  `UPDATE session_list_counts SET n = n - 1 WHERE (${KEY.join(', ')}) = (${values(row)});`

export default class extends BaseSchema {
  async up() {
    this.schema.raw(`CREATE TABLE session_list_counts (
      exam_id INTEGER NOT NULL,
      archived INTEGER NOT NULL,
      status TEXT NOT NULL,
      decision TEXT NOT NULL,
      end_reason TEXT NOT NULL,
      system_id INTEGER NOT NULL,
      n INTEGER NOT NULL,
      PRIMARY KEY (${KEY.join(', ')})
    ) WITHOUT ROWID`)
    this.schema.raw(`INSERT INTO session_list_counts (${KEY.join(', ')}, n)
      SELECT exam_id, archived <> 0, status, decision, iif(end_reason IS 'violation_limit', 'violation_limit', ''), ifnull(system_id, 0), count(*)
        FROM proctoring_sessions GROUP BY 1, 2, 3, 4, 5, 6`)
    this.schema.raw(`CREATE TRIGGER session_list_counts_insert AFTER INSERT ON proctoring_sessions BEGIN ${add('NEW')} END`)
    this.schema.raw(`CREATE TRIGGER session_list_counts_delete AFTER DELETE ON proctoring_sessions BEGIN ${remove('OLD')} END`)
    this.schema.raw(`CREATE TRIGGER session_list_counts_update
      AFTER UPDATE OF exam_id, archived, status, decision, end_reason, system_id ON proctoring_sessions
      BEGIN ${remove('OLD')} ${add('NEW')} END`)
    for (const [name, columns] of Object.entries(RANGE_INDEXES)) {
      this.schema.alterTable('proctoring_sessions', (t) => {
        t.index(columns, name)
      })
    }
  }

  async down() {
    for (const name of Object.keys(RANGE_INDEXES)) {
      this.schema.alterTable('proctoring_sessions', (t) => {
        t.dropIndex([], name)
      })
    }
    for (const name of ['insert', 'delete', 'update']) this.schema.raw(`DROP TRIGGER IF EXISTS session_list_counts_${name}`)
    this.schema.raw('DROP TABLE IF EXISTS session_list_counts')
  }
}
