import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Other systems (issue 10): signed links per system and webhooks.
 * - systems: the webhook's URL and its own secret (encrypted; `link_secret`, which exists,
 *   now holds the link secret encrypted too), and when each secret was last made.
 * - system_link_nonces: each signed link's nonce is taken once; kept until the link's expiry
 *   (then swept), so a replay inside the link's lifetime is refused.
 * - webhook_deliveries: one row per attempt to deliver one event to one system.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('systems', (t) => {
      t.string('webhook_url', 2000).nullable()
      t.text('webhook_secret').nullable()
      t.timestamp('link_secret_at').nullable()
      t.timestamp('webhook_secret_at').nullable()
    })
    this.schema.createTable('system_link_nonces', (t) => {
      t.increments('id')
      t.integer('system_id').unsigned().notNullable().references('systems.id').onDelete('CASCADE')
      t.string('nonce', 64).notNullable()
      /** Epoch seconds: the link's own expiry plus the allowed skew. */
      t.bigInteger('expires_at').notNullable().index()
      t.timestamp('created_at').notNullable()
      t.unique(['system_id', 'nonce'])
    })
    this.schema.createTable('webhook_deliveries', (t) => {
      t.increments('id')
      t.integer('system_id').unsigned().notNullable().references('systems.id').onDelete('CASCADE')
      /** The same for every attempt at one event (sent to the receiver as `deliveryId`). */
      t.string('delivery_id', 36).notNullable().index()
      t.string('event', 40).notNullable()
      t.string('session_public_id', 36).nullable()
      t.integer('attempt').notNullable()
      t.integer('status_code').nullable()
      t.string('error', 500).nullable()
      t.timestamp('next_try_at').nullable()
      t.timestamp('delivered_at').nullable()
      t.timestamp('created_at').notNullable()
      t.index(['system_id', 'id'])
    })
  }

  async down() {
    this.schema.dropTable('webhook_deliveries')
    this.schema.dropTable('system_link_nonces')
    this.schema.alterTable('systems', (t) => {
      t.dropColumn('webhook_url')
      t.dropColumn('webhook_secret')
      t.dropColumn('link_secret_at')
      t.dropColumn('webhook_secret_at')
    })
  }
}
