import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Login throttling and staff sessions live in the shared database, so that every app
 * process and host sees the same counters and the same sessions (and a restart forgets
 * neither).
 */
export default class extends BaseSchema {
  async up() {
    /* The columns @adonisjs/limiter's database store (rate-limiter-flexible) reads and writes. */
    this.schema.createTable('rate_limits', (t) => {
      t.string('key', 255).notNullable().primary()
      t.integer('points').notNullable().defaultTo(0)
      /** Epoch milliseconds when the window or the block ends. */
      t.bigint('expire').nullable()
    })

    /* Staff login sessions (app/services/staff_session_store.ts). */
    this.schema.createTable('staff_sessions', (t) => {
      /** The random id the session cookie carries. */
      t.string('id', 64).primary()
      /** The logged-in staff user, so all of a user's sessions can be ended at once. */
      t.integer('user_id').unsigned().nullable().references('users.id').onDelete('CASCADE')
      /** The session's values as JSON (CSRF secret, the logged-in user's id, flash messages). */
      t.text('data').notNullable()
      /** Epoch milliseconds: start (absolute lifetime) and last request (idle timeout). */
      t.bigint('created_at').notNullable()
      t.bigint('last_seen_at').notNullable()
      t.index(['user_id'])
      t.index(['last_seen_at'])
    })
  }

  async down() {
    this.schema.dropTable('staff_sessions')
    this.schema.dropTable('rate_limits')
  }
}
