import BetterSqlite3 from 'better-sqlite3'
import { dbFile } from '#config/paths'
import { BUSY_TIMEOUT_MS, configureConnection } from '#services/sqlite_connection'

/** The parts of a better-sqlite3 connection used here (the package ships no types). */
export type Statement = {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint }
  get(...params: unknown[]): any
  all(...params: unknown[]): any[]
}
export type Database = {
  prepare(sql: string): Statement
  pragma(source: string): unknown
  transaction<F extends (...args: any[]) => any>(fn: F): F & { immediate: F }
}

/** Our own connection to the app's SQLite file, opened on first use. */
let own: Database | undefined

function connection() {
  if (!own) {
    own = configureConnection(new BetterSqlite3(dbFile)) as Database
    /*
     * SQLite waits for another process's write lock inside its busy handler, which would stop
     * the whole event loop (up to 100 ms a time). This connection never waits there: a busy
     * lock is tried again a moment later instead (see below), with the event loop free.
     */
    own.pragma('busy_timeout = 0')
    own.prepare = cachedPrepare(own)
  }
  return own
}

/** Statements kept at most (the hot paths use a dozen fixed ones; a flood of others empties the cache). */
const MAX_STATEMENTS = 256

/**
 * better-sqlite3 compiles a statement anew on every `prepare`: for the chunk path that was a
 * tenth of a web process's time under load (bench/ingest profile). The few fixed statements of
 * this module's callers are compiled once per connection and used again; `use` runs to its end
 * synchronously, so no statement is ever in use twice at a time.
 */
function cachedPrepare(conn: Database): Database['prepare'] {
  const compile = conn.prepare.bind(conn)
  const statements = new Map<string, Statement>()
  return (sql: string) => {
    let statement = statements.get(sql)
    if (!statement) {
      if (statements.size >= MAX_STATEMENTS) statements.clear()
      statement = compile(sql)
      statements.set(sql, statement)
    }
    return statement
  }
}

function isBusy(error: unknown) {
  const code = (error as { code?: string })?.code
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED'
}

const later = () => new Promise((resolve) => setTimeout(resolve, 1 + Math.random() * 2))

/**
 * Plain prepared statements on a connection of this module's own, for the few paths every
 * student hits every few seconds (chunks, heartbeats): the ORM builds, prepares and hydrates
 * each query anew, which was most of the event loop under load, and borrowing the ORM's
 * connection from its pool cost more than the query. `use` runs synchronously, so nothing
 * else runs on this connection meanwhile; it only reads, or writes through `batchedWrite`.
 */
export async function withConnection<T>(use: (conn: Database) => T): Promise<T> {
  const firstTry = Date.now()
  for (;;) {
    try {
      return use(connection())
    } catch (error) {
      if (!isBusy(error) || Date.now() - firstTry > BUSY_TIMEOUT_MS) throw error
    }
    await later()
  }
}

/**
 * How long a batch stays open for more writes. Each commit costs an fsync, the file locks and,
 * in the other web processes, a reread of the pages it changed; 400 students send ~270 chunks a
 * second, so a few milliseconds gather several of them into one commit (bench/ingest).
 */
const BATCH_WINDOW_MS = 3

type Write = { run: (conn: Database) => unknown; resolve: (value: any) => void; reject: (error: unknown) => void }

let waiting: Write[] = []
let flushing = false

/**
 * Runs `run` inside a write transaction shared with the other writes that arrived within
 * BATCH_WINDOW_MS: one BEGIN IMMEDIATE and one COMMIT (one fsync) for all of
 * them. Each write is a savepoint of its own, so one that throws is rolled back alone and
 * the others still commit. Resolves once the commit is durable.
 */
export function batchedWrite<T>(run: (conn: Database) => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    waiting.push({ run, resolve, reject })
    if (!flushing) {
      flushing = true
      setTimeout(() => void flush(), BATCH_WINDOW_MS)
    }
  })
}

/**
 * The batch asks for the write lock without waiting (see `connection`) and, when another
 * connection holds it, steps back and tries again a moment later. Past BUSY_TIMEOUT_MS it
 * gives up as SQLite would.
 */
async function flush(firstTry = Date.now()) {
  const batch = waiting
  waiting = []
  const outcomes: { ok: boolean; value: unknown }[] = []
  let busy = false
  try {
    const conn = connection()
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
      if (!isBusy(error) || Date.now() - firstTry > BUSY_TIMEOUT_MS) throw error
      busy = true
      outcomes.length = 0
    }
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
  if (waiting.length) setTimeout(() => void flush(), BATCH_WINDOW_MS)
  else flushing = false
}
