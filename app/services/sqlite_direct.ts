import db from '@adonisjs/lucid/services/db'
import { BUSY_TIMEOUT_MS } from '#services/sqlite_connection'

/** The parts of a better-sqlite3 connection used here (the package ships no types). */
export type Statement = {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint }
  get(...params: unknown[]): any
  all(...params: unknown[]): any[]
}
export type Database = {
  prepare(sql: string): Statement
  transaction<F extends (...args: any[]) => any>(fn: F): F & { immediate: F }
}

/**
 * Plain prepared statements on the app's own SQLite connection, for the few paths every
 * student hits every few seconds (chunks, heartbeats): the ORM builds, prepares and
 * hydrates each query anew, which was most of the event loop under load. The connection is
 * the pool's single one (borrowed, used synchronously, given back), so these statements
 * and Lucid's queries never wait on each other inside one process.
 */
export async function withConnection<T>(use: (conn: Database) => T): Promise<T> {
  const client = (db.connection().getWriteClient() as any).client
  const conn: Database = await client.acquireConnection()
  try {
    return use(conn)
  } finally {
    await client.releaseConnection(conn)
  }
}

type Write = { run: (conn: Database) => unknown; resolve: (value: any) => void; reject: (error: unknown) => void }

let waiting: Write[] = []
let flushing = false

/**
 * Runs `run` inside a write transaction shared with the other writes that arrived in the
 * same turn of the event loop: one BEGIN IMMEDIATE and one COMMIT (one fsync) for all of
 * them. Each write is a savepoint of its own, so one that throws is rolled back alone and
 * the others still commit. Resolves once the commit is durable.
 */
export function batchedWrite<T>(run: (conn: Database) => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    waiting.push({ run, resolve, reject })
    if (!flushing) {
      flushing = true
      setImmediate(() => void flush())
    }
  })
}

/**
 * Waiting for another process's write lock inside SQLite blocks the whole event loop (its busy
 * handler sleeps, up to 100 ms a time). So the batch asks for the lock without waiting and,
 * when another process holds it, steps back and tries again a moment later, leaving the event
 * loop free meanwhile. Past BUSY_TIMEOUT_MS it gives up as SQLite would.
 */
async function flush(firstTry = Date.now()) {
  const batch = waiting
  waiting = []
  const outcomes: { ok: boolean; value: unknown }[] = []
  let busy = false
  try {
    await withConnection((conn) => {
      conn.prepare('PRAGMA busy_timeout = 0').get()
      try {
        conn
          .transaction(() => {
            for (const write of batch) {
              try {
                outcomes.push({ ok: true, value: conn.transaction(() => write.run(conn))() })
              } catch (error) {
                outcomes.push({ ok: false, value: error })
              }
            }
          })
          .immediate()
      } catch (error) {
        if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() - firstTry > BUSY_TIMEOUT_MS) throw error
        busy = true
      } finally {
        conn.prepare(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`).get()
      }
    })
    if (busy) {
      /* Nothing was written: this batch goes first when the lock is tried again. */
      waiting = [...batch, ...waiting]
      setTimeout(() => void flush(firstTry), 1 + Math.random() * 2)
      return
    }
    batch.forEach((write, i) => (outcomes[i].ok ? write.resolve(outcomes[i].value) : write.reject(outcomes[i].value)))
  } catch (error) {
    /* The commit itself failed: nothing of this batch was written. */
    batch.forEach((write) => write.reject(error))
  }
  if (waiting.length) setImmediate(() => void flush())
  else flushing = false
}
