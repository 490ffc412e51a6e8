import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * A recording chunk's bytes now sit at an offset in a file its stream shares with its other
 * chunks (app/services/chunk_files.ts). Chunks stored before, one file each, start at 0.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('recording_chunks', (t) => {
      t.bigint('byte_offset').notNullable().defaultTo(0)
    })
  }

  async down() {
    this.schema.alterTable('recording_chunks', (t) => {
      t.dropColumn('byte_offset')
    })
  }
}
