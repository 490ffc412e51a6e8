import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The results list's sort indexes (migrations 0003 and 0015) widened (bench/results, 100,000
 * sessions): each holds its column, then the session id (the list's second sort key), then every
 * session column the filters look at. Walking one in the order shown, SQLite decides each filter
 * from the index entry and reads only the sessions it shows: a month sorted by end went from
 * 33 ms (a table read for each session ended before the month) to 4 ms. The status and decision
 * ones also serve a list filtered on one status or decision, newest first (status "in progress":
 * its few sessions in id order instead of a walk through every newer session).
 */
const SORTED = ['status', 'started_at', 'ended_at', 'credibility', 'decision', 'viewed_at']
const FILTERED = ['archived', 'exam_id', 'status', 'decision', 'credibility', 'started_at', 'end_reason', 'system_id']

const narrow = (column: string) => `proctoring_sessions_${column}_index`
const walkIndex = (column: string) => `proctoring_sessions_${column}_walk_index`

export default class extends BaseSchema {
  async up() {
    for (const column of SORTED) {
      this.schema.alterTable('proctoring_sessions', (t) => {
        t.dropIndex([column], narrow(column))
        t.index([column, 'id', ...FILTERED.filter((c) => c !== column)], walkIndex(column))
      })
    }
  }

  async down() {
    for (const column of SORTED) {
      this.schema.alterTable('proctoring_sessions', (t) => {
        t.dropIndex([], walkIndex(column))
        t.index([column], narrow(column))
      })
    }
  }
}
