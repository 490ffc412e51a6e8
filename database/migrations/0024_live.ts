import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Live proctoring (issue 12): each proctor's watch list (the tiles of the live page, kept
 * between visits), the chat and warnings between proctors and a student, and the reason a
 * proctor gave when stopping a session (shown to the student and on the report).
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('live_watch_items', (t) => {
      t.integer('user_id').unsigned().notNullable().references('users.id').onDelete('CASCADE')
      t.integer('session_id').unsigned().notNullable().references('proctoring_sessions.id').onDelete('CASCADE')
      t.timestamp('created_at').notNullable()
      t.primary(['user_id', 'session_id'])
    })
    this.schema.createTable('live_messages', (t) => {
      t.increments('id')
      t.integer('session_id').unsigned().notNullable().references('proctoring_sessions.id').onDelete('CASCADE')
      /* 'staff' (a proctor wrote it) or 'student'. */
      t.string('sender', 8).notNullable()
      /* 'chat' or 'warning' (a warning must be acknowledged by the student). */
      t.string('kind', 8).notNullable()
      t.text('body').notNullable()
      t.integer('user_id').unsigned().nullable().references('users.id').onDelete('SET NULL')
      t.timestamp('acknowledged_at').nullable()
      t.timestamp('created_at').notNullable()
      t.index(['session_id', 'id'])
    })
    this.schema.alterTable('proctoring_sessions', (t) => {
      t.text('stop_note').nullable()
    })
  }

  async down() {
    this.schema.alterTable('proctoring_sessions', (t) => t.dropColumn('stop_note'))
    this.schema.dropTable('live_messages')
    this.schema.dropTable('live_watch_items')
  }
}
