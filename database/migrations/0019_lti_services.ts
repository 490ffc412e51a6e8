import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * LTI services (issue 10): deep linking, grades back.
 * - exams.lti_grades_back: when on, a decision posts the session's score and a comment to the
 *   course gradebook of the LTI resource link bound to the exam (AGS).
 * - lti_deep_link_requests: a verified deep-linking launch kept briefly on the server under an
 *   opaque id (its sha256 here), so the teacher's choice works without our cookies (Moodle
 *   frames the tool; our cookies are third-party there). Used once.
 * - lti_grade_posts: every attempt to post a score (what was sent, the platform's answer), shown
 *   on the LTI courses page.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('exams', (t) => {
      t.boolean('lti_grades_back').notNullable().defaultTo(false)
    })

    this.schema.createTable('lti_deep_link_requests', (t) => {
      t.increments('id')
      t.string('token_hash', 64).notNullable().unique()
      t.integer('system_id').unsigned().notNullable().references('systems.id').onDelete('CASCADE')
      t.string('deployment_id').notNullable()
      /** The verified id_token claims (JSON). */
      t.text('claims').notNullable()
      /** Milliseconds since 1970. */
      t.bigInteger('expires_at').notNullable()
      t.bigInteger('used_at').nullable()
      t.timestamp('created_at').notNullable()
    })

    this.schema.createTable('lti_grade_posts', (t) => {
      t.increments('id')
      t.integer('session_id').unsigned().notNullable().references('proctoring_sessions.id').onDelete('CASCADE')
      t.integer('resource_link_id').unsigned().nullable().references('lti_resource_links.id').onDelete('SET NULL')
      t.integer('attempt').notNullable()
      t.text('lineitem_url').nullable()
      t.text('score').nullable()
      t.integer('status_code').nullable()
      t.string('error', 500).nullable()
      t.timestamp('next_try_at').nullable()
      t.timestamp('delivered_at').nullable()
      t.timestamp('created_at').notNullable()
      t.index(['resource_link_id', 'id'])
      t.index(['session_id', 'id'])
    })
  }

  async down() {
    this.schema.dropTable('lti_grade_posts')
    this.schema.dropTable('lti_deep_link_requests')
    this.schema.alterTable('exams', (t) => {
      t.dropColumn('lti_grades_back')
    })
  }
}
