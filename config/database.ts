import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { defineConfig } from '@adonisjs/lucid'
import { dbFile } from '#config/paths'
import { configureConnection } from '#services/sqlite_connection'

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
        /* WAL, FULL sync, busy timeout first, IMMEDIATE transactions: see sqlite_connection.ts. */
        afterCreate: (conn: any, done: (err: Error | null, conn: any) => void) => {
          try {
            done(null, configureConnection(conn))
          } catch (error) {
            done(error as Error, conn)
          }
        },
      },
    },
  },
})

export default dbConfig
