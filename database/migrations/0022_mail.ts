import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * E-mail (issue 11, O2): the university's SMTP server, set by an admin in the panel, and the
 * outbox: every message the appliance sends is a row here first (the queue), delivered by the
 * web app's scheduler, retried with back-off; the row keeps each try's outcome (the log).
 * - mail_settings: one row (id 1). The password is encrypted with the app's key.
 * - outbox: what to send (the body is made when the message is queued, in the recipient's
 *   language), an attachment kept as a file under DATA_DIR/outbox/ (what the viewer asked to
 *   send, as it was then), and where its delivery stands.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('mail_settings', (t) => {
      t.integer('id').primary()
      t.string('host', 253).notNullable()
      t.integer('port').notNullable()
      /** 'none' | 'starttls' | 'tls' */
      t.string('tls_mode', 10).notNullable()
      t.string('username', 254).nullable()
      t.text('password').nullable()
      t.string('from_address', 254).notNullable()
      t.string('from_name', 200).nullable()
      t.integer('updated_by').unsigned().nullable().references('users.id').onDelete('SET NULL')
      t.timestamp('updated_at').notNullable()
    })
    this.schema.createTable('outbox', (t) => {
      t.increments('id')
      t.string('to_address', 254).notNullable()
      t.string('subject', 300).notNullable()
      /** 'test' | 'short_report' | 'password_reset' */
      t.string('kind', 40).notNullable()
      t.string('language', 5).notNullable()
      t.text('body_text').notNullable()
      /** Relative to DATA_DIR (outbox/<uuid>.pdf); removed once sent or given up. */
      t.string('attachment_path', 200).nullable()
      t.string('attachment_name', 200).nullable()
      /** 'queued' (not tried yet) | 'failed' (last try failed, tried again later) | 'sent' | 'gave_up' */
      t.string('status', 10).notNullable()
      t.integer('attempts').notNullable().defaultTo(0)
      t.integer('max_attempts').notNullable()
      t.string('last_error', 500).nullable()
      /** Epoch milliseconds: when it is due (integers compare cheaply in the every-2-seconds query). */
      t.bigInteger('next_try_at').nullable()
      /** Epoch milliseconds: a try in progress holds the row until then. */
      t.bigInteger('leased_until').nullable()
      t.timestamp('sent_at').nullable()
      t.integer('created_by').unsigned().nullable().references('users.id').onDelete('SET NULL')
      t.timestamp('created_at').notNullable()
      t.index(['status', 'next_try_at'])
    })
  }

  async down() {
    this.schema.dropTable('outbox')
    this.schema.dropTable('mail_settings')
  }
}
