import { BaseSchema } from '@adonisjs/lucid/schema'

/** Where the analysis of each recording has got to, so it can go on window by window. */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('recordings', (t) => {
      /** Chunks already analysed (the next window starts after them). */
      t.integer('analysed_chunks').notNullable().defaultTo(0)
      /** Seconds of the recording analysed so far. */
      t.float('analysed_seconds').notNullable().defaultTo(0)
      /** JSON: what the last window ended on (last sample, open ranges). */
      t.text('analysis_state').nullable()
    })
    this.schema.alterTable('events', (t) => {
      t.integer('recording_id').unsigned().nullable().references('recordings.id').onDelete('SET NULL')
      /** Seconds from the start of the recording, exact (started_at/ended_at are whole seconds). */
      t.float('offset_start').nullable()
      t.float('offset_end').nullable()
      t.index(['recording_id', 'type'])
    })
  }

  async down() {
    this.schema.alterTable('events', (t) => {
      t.dropIndex(['recording_id', 'type'])
      t.dropColumn('recording_id')
      t.dropColumn('offset_start')
      t.dropColumn('offset_end')
    })
    this.schema.alterTable('recordings', (t) => {
      t.dropColumn('analysed_chunks')
      t.dropColumn('analysed_seconds')
      t.dropColumn('analysis_state')
    })
  }
}
