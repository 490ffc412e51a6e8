import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Every decision a proctor or an admin sets on a session (none / accepted / rejected, shown as
 * "annulled" / review, "second review needed"), with its comment: the session keeps only the
 * current one (proctoring_sessions.decision), this table keeps them all, for the report's history.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('session_decisions', (t) => {
      t.increments('id')
      t.integer('session_id').unsigned().notNullable().references('proctoring_sessions.id').onDelete('CASCADE')
      t.string('decision', 16).notNullable()
      /** The decision it replaced. */
      t.string('previous', 16).notNullable()
      t.text('comment').nullable()
      t.integer('user_id').unsigned().nullable().references('users.id').onDelete('SET NULL')
      t.string('actor_name').notNullable()
      t.timestamp('created_at').notNullable()
      t.index(['session_id'])
    })
  }

  async down() {
    this.schema.dropTable('session_decisions')
  }
}
