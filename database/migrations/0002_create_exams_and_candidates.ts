import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  async up() {
    this.schema.createTable('exams', (t) => {
      t.increments('id')
      t.string('title').notNullable()
      t.integer('discipline_id').unsigned().nullable().references('disciplines.id').onDelete('SET NULL')
      t.integer('system_id').unsigned().nullable().references('systems.id').onDelete('SET NULL')
      /** Where the quiz itself lives (opened in the exam view). */
      t.string('exam_url').nullable()
      t.integer('duration_minutes').notNullable().defaultTo(60)
      /** Browser events allowed before the session is stopped as "ПКН" (0 = no limit). */
      t.integer('violation_limit').notNullable().defaultTo(0)
      /** JSON: weight of each violation type in the credibility score. */
      t.text('weights').notNullable().defaultTo('{}')
      t.integer('pass_threshold').notNullable().defaultTo(70)
      t.integer('reconnect_window_seconds').notNullable().defaultTo(300)
      t.boolean('requires_screen').notNullable().defaultTo(true)
      t.boolean('requires_phone').notNullable().defaultTo(false)
      /** JSON: { allowed: string[], forbidden: string[] } shown on the rules page. */
      t.text('rules').notNullable().defaultTo('{"allowed":[],"forbidden":[]}')
      t.timestamp('opens_at').nullable()
      t.timestamp('closes_at').nullable()
      t.timestamp('created_at').notNullable()
      t.timestamp('updated_at').nullable()
    })

    this.schema.createTable('candidates', (t) => {
      t.increments('id')
      t.string('full_name').notNullable()
      t.integer('group_id').unsigned().nullable().references('groups.id').onDelete('SET NULL')
      t.string('iin', 12).nullable()
      t.string('email', 254).nullable()
      t.integer('system_id').unsigned().nullable().references('systems.id').onDelete('SET NULL')
      /** The id the LMS or the linking system knows the student by. */
      t.string('external_id').nullable()
      t.timestamp('created_at').notNullable()
      t.unique(['system_id', 'external_id'])
    })
  }

  async down() {
    this.schema.dropTable('candidates')
    this.schema.dropTable('exams')
  }
}
