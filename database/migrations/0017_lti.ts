import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * LTI 1.3 (issue 10): a platform's registration (systems of kind 'lti': token URL, several
 * deployment ids, how it was registered), the tool's own signing keys (private halves
 * encrypted with the app key; kept published until retired, so a rotation never breaks a
 * platform's cached key set), the OIDC login states and used nonces (server-side: Moodle 5
 * has no client-side storage, and inside its iframe our cookies are third-party), the
 * resource links seen in launches (course, services, the exam bound), LMS accounts of staff
 * made on an instructor launch, a session's quiz address when the launch names one, and
 * one-time tickets that turn an instructor launch into a staff login.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('systems', (t) => {
      t.string('token_url').nullable()
      /** JSON array of strings; the first is also kept in deployment_id. */
      t.text('deployment_ids').nullable()
      t.string('registration_source').nullable()
    })

    this.schema.createTable('lti_tool_keys', (t) => {
      t.increments('id')
      t.string('kid').notNullable().unique()
      t.text('private_jwk_encrypted').notNullable()
      t.text('public_jwk').notNullable()
      t.string('alg').notNullable().defaultTo('RS256')
      t.timestamp('created_at').notNullable()
      t.timestamp('retired_at').nullable()
    })

    this.schema.createTable('lti_launch_states', (t) => {
      t.increments('id')
      t.string('state').notNullable().unique()
      t.string('nonce').notNullable()
      t.integer('system_id').unsigned().notNullable().references('systems.id').onDelete('CASCADE')
      /** sha256 of a random value also set in a cookie: binds the state to the browser when the cookie comes back. */
      t.string('browser_binding').notNullable()
      t.text('target_link_uri').notNullable()
      t.timestamp('created_at').notNullable()
      t.timestamp('expires_at').notNullable()
      t.timestamp('used_at').nullable()
    })

    this.schema.createTable('lti_used_nonces', (t) => {
      t.integer('system_id').unsigned().notNullable().references('systems.id').onDelete('CASCADE')
      t.string('nonce').notNullable()
      t.timestamp('expires_at').notNullable()
      t.unique(['system_id', 'nonce'])
    })

    this.schema.createTable('lti_resource_links', (t) => {
      t.increments('id')
      t.integer('system_id').unsigned().notNullable().references('systems.id').onDelete('CASCADE')
      t.string('deployment_id').notNullable()
      t.string('context_id').nullable()
      t.string('context_title').nullable()
      t.string('context_label').nullable()
      t.string('resource_link_id').notNullable()
      t.string('resource_link_title').nullable()
      t.integer('exam_id').unsigned().nullable().references('exams.id').onDelete('SET NULL')
      t.text('nrps_url').nullable()
      t.text('ags_lineitem_url').nullable()
      t.text('ags_lineitems_url').nullable()
      t.text('ags_scopes').nullable()
      t.timestamp('created_at').notNullable()
      t.timestamp('updated_at').nullable()
      t.unique(['system_id', 'deployment_id', 'resource_link_id'])
      t.index(['system_id', 'context_id'])
    })

    this.schema.alterTable('users', (t) => {
      t.integer('lms_system_id').unsigned().nullable().references('systems.id').onDelete('SET NULL')
      t.string('lms_user_id').nullable()
      t.unique(['lms_system_id', 'lms_user_id'])
    })

    this.schema.alterTable('proctoring_sessions', (t) => {
      /** The quiz to frame when the launch named one (custom parameter quiz_url); else the exam's. */
      t.text('quiz_url').nullable()
    })

    this.schema.createTable('lti_staff_tickets', (t) => {
      t.increments('id')
      /** sha256 of the random ticket carried in the URL. */
      t.string('token_hash').notNullable().unique()
      t.integer('user_id').unsigned().notNullable().references('users.id').onDelete('CASCADE')
      t.string('purpose').notNullable()
      t.integer('resource_link_id').unsigned().nullable().references('lti_resource_links.id').onDelete('CASCADE')
      t.string('redirect_to').notNullable()
      t.timestamp('created_at').notNullable()
      t.timestamp('expires_at').notNullable()
      t.timestamp('used_at').nullable()
    })
  }

  async down() {
    this.schema.dropTable('lti_staff_tickets')
    this.schema.alterTable('proctoring_sessions', (t) => {
      t.dropColumn('quiz_url')
    })
    this.schema.alterTable('users', (t) => {
      t.dropUnique(['lms_system_id', 'lms_user_id'])
      t.dropColumn('lms_user_id')
      t.dropColumn('lms_system_id')
    })
    this.schema.dropTable('lti_resource_links')
    this.schema.dropTable('lti_used_nonces')
    this.schema.dropTable('lti_launch_states')
    this.schema.dropTable('lti_tool_keys')
    this.schema.alterTable('systems', (t) => {
      t.dropColumn('registration_source')
      t.dropColumn('deployment_ids')
      t.dropColumn('token_url')
    })
  }
}
