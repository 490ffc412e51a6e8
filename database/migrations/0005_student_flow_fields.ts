import { BaseSchema } from '@adonisjs/lucid/schema'

/** What the complete student flow (checks, consent, reconnects, phone camera) keeps. */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('proctoring_sessions', (t) => {
      t.timestamp('consented_at').nullable()
      /** Last time the student's page was heard from (heartbeat, chunk, event). */
      t.timestamp('last_seen_at').nullable()
      /** Last time the phone camera page was heard from. */
      t.timestamp('phone_last_seen_at').nullable()
      t.integer('violation_count').notNullable().defaultTo(0)
      t.index(['status', 'last_seen_at'])
    })
  }

  async down() {
    this.schema.alterTable('proctoring_sessions', (t) => {
      t.dropIndex(['status', 'last_seen_at'])
      t.dropColumn('consented_at')
      t.dropColumn('last_seen_at')
      t.dropColumn('phone_last_seen_at')
      t.dropColumn('violation_count')
    })
  }
}
