import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Entry links are stored when issued (so they can be listed, downloaded and revoked: the
 * signed link carries the row's nonce), a candidate may sit an exam more than once (a retake
 * makes a new session, `sitting` 2, 3...), and a proctor may be limited to some exams or groups.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('issued_links', (t) => {
      t.increments('id')
      /** Random, carried in the signed link: the link is refused once its row is revoked. */
      t.string('nonce', 32).notNullable().unique()
      t.integer('exam_id').unsigned().notNullable().references('exams.id').onDelete('CASCADE')
      /** Every exam the link offers (the first is exam_id), as JSON. */
      t.text('exam_ids').notNullable()
      t.integer('candidate_id').unsigned().notNullable().references('candidates.id').onDelete('CASCADE')
      t.timestamp('expires_at').notNullable()
      t.integer('issued_by').unsigned().nullable().references('users.id').onDelete('SET NULL')
      t.timestamp('opened_at').nullable()
      t.timestamp('revoked_at').nullable()
      t.integer('revoked_by').unsigned().nullable().references('users.id').onDelete('SET NULL')
      t.timestamp('created_at').notNullable()
      t.index(['exam_id', 'candidate_id'])
    })

    this.schema.alterTable('proctoring_sessions', (t) => {
      t.integer('sitting').notNullable().defaultTo(1)
    })

    this.schema.createTable('staff_scopes', (t) => {
      t.increments('id')
      t.integer('user_id').unsigned().notNullable().references('users.id').onDelete('CASCADE')
      t.integer('exam_id').unsigned().nullable().references('exams.id').onDelete('CASCADE')
      t.integer('group_id').unsigned().nullable().references('groups.id').onDelete('CASCADE')
      t.timestamp('created_at').notNullable()
      t.index(['user_id'])
    })
  }

  async down() {
    this.schema.dropTable('staff_scopes')
    this.schema.alterTable('proctoring_sessions', (t) => {
      t.dropColumn('sitting')
    })
    this.schema.dropTable('issued_links')
  }
}
