import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  async up() {
    /** Browser events, analysis findings and proctor-added incidents, on one time line. */
    this.schema.createTable('events', (t) => {
      t.increments('id')
      t.integer('session_id').unsigned().notNullable().references('proctoring_sessions.id').onDelete('CASCADE')
      t.integer('attempt_id').unsigned().nullable().references('attempts.id').onDelete('SET NULL')
      t.string('type').notNullable()
      t.enum('source', ['browser', 'analysis', 'proctor']).notNullable()
      t.boolean('is_violation').notNullable().defaultTo(true)
      t.timestamp('started_at').notNullable()
      t.timestamp('ended_at').nullable()
      t.string('snapshot_path').nullable()
      t.text('details').nullable()
      /** Id the browser gives an event, so one resent after a network drop is stored once. */
      t.string('client_event_id').nullable()
      t.timestamp('created_at').notNullable()
      t.unique(['session_id', 'client_event_id'])
      t.index(['session_id', 'started_at'])
    })

    this.schema.createTable('identity_checks', (t) => {
      t.increments('id')
      t.integer('session_id').unsigned().notNullable().references('proctoring_sessions.id').onDelete('CASCADE')
      t.enum('kind', ['face', 'document']).notNullable()
      t.string('photo_path').notNullable()
      t.enum('result', ['pending', 'accepted', 'rejected']).notNullable().defaultTo('pending')
      t.string('reason').nullable()
      t.text('details').nullable()
      t.timestamp('created_at').notNullable()
    })

    /** The action archive: append-only, each row chained to the one before by its hash. */
    this.schema.createTable('audit_entries', (t) => {
      t.increments('id')
      t.integer('user_id').unsigned().nullable()
      t.string('actor_name').notNullable()
      t.string('actor_iin').nullable()
      t.string('actor_role').notNullable()
      t.string('action').notNullable()
      t.string('subject_type').nullable()
      t.string('subject_id').nullable()
      t.text('details').nullable()
      t.string('ip').nullable()
      t.string('created_at').notNullable()
      t.string('prev_hash', 64).notNullable().unique()
      t.string('hash', 64).notNullable().unique()
    })

    /** Every system-check item a student ran, passed or failed (statistics). */
    this.schema.createTable('connection_checks', (t) => {
      t.increments('id')
      t.integer('session_id').unsigned().nullable().references('proctoring_sessions.id').onDelete('CASCADE')
      t.string('item').notNullable()
      t.boolean('passed').notNullable()
      t.string('error_code').nullable()
      t.text('details').nullable()
      t.string('user_agent').nullable()
      t.timestamp('created_at').notNullable()
    })

    /** The persistent job queue shared by the app and the analysis workers. */
    this.schema.createTable('jobs', (t) => {
      t.increments('id')
      t.string('type').notNullable()
      t.text('payload').notNullable()
      /** Jobs with the same key are not queued twice while one is pending. */
      t.string('unique_key').nullable()
      t.enum('status', ['queued', 'running', 'done', 'failed']).notNullable().defaultTo('queued')
      t.integer('attempts').notNullable().defaultTo(0)
      t.integer('max_attempts').notNullable().defaultTo(5)
      t.bigInteger('run_at').notNullable()
      t.bigInteger('leased_until').nullable()
      t.string('leased_by').nullable()
      t.text('last_error').nullable()
      t.integer('progress').notNullable().defaultTo(0)
      t.timestamp('created_at').notNullable()
      t.timestamp('updated_at').nullable()
      t.index(['status', 'run_at'])
    })
  }

  async down() {
    for (const table of ['jobs', 'connection_checks', 'audit_entries', 'identity_checks', 'events']) {
      this.schema.dropTable(table)
    }
  }
}
