import { BaseSchema } from '@adonisjs/lucid/schema'

/** Staff accounts (admin, proctor, auditor) and the organisation's reference lists. */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('users', (t) => {
      t.increments('id')
      t.string('email', 254).notNullable().unique()
      t.string('password').notNullable()
      t.string('full_name').notNullable()
      t.string('iin', 12).nullable()
      t.enum('role', ['admin', 'proctor', 'auditor']).notNullable()
      t.string('locale', 2).notNullable().defaultTo('ru')
      t.boolean('active').notNullable().defaultTo(true)
      t.timestamp('created_at').notNullable()
      t.timestamp('updated_at').nullable()
    })

    /* Where students come from: an LTI 1.3 platform (Moodle) or a signed-link system. */
    this.schema.createTable('systems', (t) => {
      t.increments('id')
      t.string('name').notNullable()
      t.enum('kind', ['lti', 'link']).notNullable()
      t.string('issuer').nullable()
      t.string('client_id').nullable()
      t.string('deployment_id').nullable()
      t.string('jwks_url').nullable()
      t.string('auth_login_url').nullable()
      t.string('link_secret').nullable()
      t.boolean('active').notNullable().defaultTo(true)
      t.timestamp('created_at').notNullable()
      t.timestamp('updated_at').nullable()
    })

    this.schema.createTable('groups', (t) => {
      t.increments('id')
      t.string('name').notNullable().unique()
      t.timestamp('created_at').notNullable()
    })

    this.schema.createTable('disciplines', (t) => {
      t.increments('id')
      t.string('name').notNullable()
      t.string('code').nullable()
      t.timestamp('created_at').notNullable()
    })
  }

  async down() {
    for (const table of ['disciplines', 'groups', 'systems', 'users']) this.schema.dropTable(table)
  }
}
