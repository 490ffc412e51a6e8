import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { defineConfig } from '@adonisjs/lucid'
import { dbFile } from '#config/paths'

mkdirSync(dirname(dbFile), { recursive: true })

const dbConfig = defineConfig({
  connection: 'sqlite',
  connections: {
    sqlite: {
      client: 'better-sqlite3',
      connection: { filename: dbFile },
      useNullAsDefault: true,
      migrations: { naturalSort: true, paths: ['database/migrations'] },
      seeders: { paths: ['database/seeders'] },
      schemaGeneration: { enabled: false },
      pool: {
        /*
        | WAL so readers never wait on the writer, FULL sync so an acknowledged write
        | survives a power cut, a busy timeout so the app and the workers share the file.
        */
        afterCreate: (conn: any, done: (err: Error | null, conn: any) => void) => {
          conn.pragma('journal_mode = WAL')
          conn.pragma('synchronous = FULL')
          conn.pragma('busy_timeout = 10000')
          conn.pragma('foreign_keys = ON')
          done(null, conn)
        },
      },
    },
  },
})

export default dbConfig
