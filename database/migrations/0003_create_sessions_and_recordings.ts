import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  async up() {
    this.schema.createTable('proctoring_sessions', (t) => {
      t.increments('id')
      /** Public id used in URLs, so session numbers cannot be guessed. */
      t.string('public_id', 36).notNullable().unique()
      t.integer('exam_id').unsigned().notNullable().references('exams.id').onDelete('CASCADE')
      t.integer('candidate_id').unsigned().notNullable().references('candidates.id').onDelete('CASCADE')
      t.integer('system_id').unsigned().nullable().references('systems.id').onDelete('SET NULL')
      t.enum('status', ['not_started', 'in_progress', 'finished', 'stopped']).notNullable().defaultTo('not_started')
      /** Why it ended: finished by student, violation limit, reconnect window, proctor... */
      t.string('end_reason').nullable()
      t.timestamp('started_at').nullable()
      t.timestamp('ended_at').nullable()
      t.float('credibility').nullable()
      t.text('credibility_breakdown').nullable()
      t.enum('decision', ['none', 'accepted', 'rejected', 'review']).notNullable().defaultTo('none')
      t.integer('decided_by').unsigned().nullable().references('users.id').onDelete('SET NULL')
      t.timestamp('decided_at').nullable()
      t.timestamp('viewed_at').nullable()
      t.boolean('archived').notNullable().defaultTo(false)
      t.timestamp('created_at').notNullable()
      t.timestamp('updated_at').nullable()
      t.index(['status'])
      t.index(['started_at'])
    })

    /** A session is taken in one or more attempts: each reconnect starts a new one. */
    this.schema.createTable('attempts', (t) => {
      t.increments('id')
      t.integer('session_id').unsigned().notNullable().references('proctoring_sessions.id').onDelete('CASCADE')
      t.integer('number').notNullable()
      t.string('user_agent').nullable()
      t.string('ip').nullable()
      t.timestamp('started_at').notNullable()
      t.timestamp('ended_at').nullable()
      t.unique(['session_id', 'number'])
    })

    /** One recording per attempt and stream (webcam, screen, phone). */
    this.schema.createTable('recordings', (t) => {
      t.increments('id')
      t.integer('session_id').unsigned().notNullable().references('proctoring_sessions.id').onDelete('CASCADE')
      t.integer('attempt_id').unsigned().notNullable().references('attempts.id').onDelete('CASCADE')
      t.enum('stream', ['webcam', 'screen', 'phone']).notNullable()
      t.string('mime_type').notNullable()
      t.integer('chunk_count').notNullable().defaultTo(0)
      /** Set when the browser says how many chunks it produced (at finish). */
      t.integer('expected_chunks').nullable()
      t.bigInteger('bytes').notNullable().defaultTo(0)
      t.enum('status', ['recording', 'complete', 'processing', 'ready', 'failed']).notNullable().defaultTo('recording')
      /** Seekable file made from the chunks by the analysis worker (relative to the data dir). */
      t.string('file_path').nullable()
      t.float('duration_seconds').nullable()
      t.timestamp('created_at').notNullable()
      t.timestamp('updated_at').nullable()
      t.unique(['attempt_id', 'stream'])
    })

    this.schema.createTable('recording_chunks', (t) => {
      t.increments('id')
      t.integer('recording_id').unsigned().notNullable().references('recordings.id').onDelete('CASCADE')
      t.integer('seq').notNullable()
      t.integer('size').notNullable()
      t.string('sha256', 64).notNullable()
      t.string('path').notNullable()
      t.timestamp('received_at').notNullable()
      t.unique(['recording_id', 'seq'])
    })
  }

  async down() {
    for (const table of ['recording_chunks', 'recordings', 'attempts', 'proctoring_sessions']) this.schema.dropTable(table)
  }
}
