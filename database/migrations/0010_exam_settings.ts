import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * What admins set on an exam from the panel (issue 8): its title in each language (the old
 * `title` keeps the first one filled, for code that reads it), which browser events count
 * toward the violation limit (null: all of them, as before), which identity steps the
 * student goes through, and an `archived` flag that hides an exam from the list.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('exams', (t) => {
      t.string('title_kk').nullable()
      t.string('title_ru').nullable()
      t.string('title_en').nullable()
      /** JSON: the browser event kinds that count toward the violation limit; null = every kind. */
      t.text('counted_kinds').nullable()
      t.boolean('requires_face').notNullable().defaultTo(true)
      t.boolean('requires_document').notNullable().defaultTo(true)
      t.boolean('archived').notNullable().defaultTo(false)
    })
  }

  async down() {
    this.schema.alterTable('exams', (t) => {
      t.dropColumn('title_kk')
      t.dropColumn('title_ru')
      t.dropColumn('title_en')
      t.dropColumn('counted_kinds')
      t.dropColumn('requires_face')
      t.dropColumn('requires_document')
      t.dropColumn('archived')
    })
  }
}
