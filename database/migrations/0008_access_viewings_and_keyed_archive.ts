import { BaseSchema } from '@adonisjs/lucid/schema'
import { resealLegacyArchive } from '#actions/audit/reseal_archive'

/**
 * Access viewings: each staff access to a recording or photo is archived once per user, file
 * and viewing (app/actions/audit/record_access.ts); the viewings live here so that every web
 * process sees the same ones. And the action archive becomes a keyed (HMAC) chain with a head
 * file: an archive written before is re-sealed once (app/actions/audit/reseal_archive.ts).
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('access_viewings', (t) => {
      t.increments('id')
      t.integer('user_id').unsigned().notNullable().references('users.id').onDelete('CASCADE')
      /** 'recording' or 'photo'. */
      t.string('subject_type').notNullable()
      t.string('subject_id').notNullable()
      /** The address the viewing came from: a request from another address starts a new viewing. */
      t.string('ip').nullable()
      /** The archive entry that opened this viewing. */
      t.integer('audit_entry_id').unsigned().nullable()
      /** Epoch milliseconds. */
      t.bigint('started_at').notNullable()
      t.bigint('last_access_at').notNullable()
      t.unique(['user_id', 'subject_type', 'subject_id'])
    })
    this.defer((db) => resealLegacyArchive(db).then(() => undefined))
  }

  async down() {
    this.schema.dropTable('access_viewings')
  }
}
