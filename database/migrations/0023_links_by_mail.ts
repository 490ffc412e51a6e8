import { BaseSchema } from '@adonisjs/lucid/schema'

/** Links by e-mail (issue 11): the outbox message that carried an issued link to its candidate. */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('issued_links', (t) => {
      t.integer('mailed_outbox_id').unsigned().nullable().references('outbox.id').onDelete('SET NULL')
    })
  }

  async down() {
    this.schema.alterTable('issued_links', (t) => {
      t.dropForeign(['mailed_outbox_id'])
      t.dropColumn('mailed_outbox_id')
    })
  }
}
