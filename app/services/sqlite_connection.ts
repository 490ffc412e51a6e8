/**
 * How every process (web, worker, ace commands) opens the shared SQLite file, so that
 * several of them can write to it at once without "database is locked":
 *
 * - the busy timeout is set before anything else, so even the first pragma waits for a
 *   lock instead of failing at once;
 * - WAL, so readers never wait on the writer; FULL sync, so an acknowledged write survives
 *   a power cut;
 * - every transaction begins IMMEDIATE: it takes the write lock (waiting up to the busy
 *   timeout) before its first read. A plain BEGIN reads first and then tries to upgrade,
 *   which fails at once with SQLITE_BUSY when another process wrote in between: the
 *   busy timeout cannot help there, and that was the source of the 500s under load;
 * - statements are prepared once and reused (the ORM sends the same SQL over and over).
 */
export const BUSY_TIMEOUT_MS = 15_000

/** Distinct SQL texts kept prepared; queries with long IN lists make many, so the cache is bounded. */
const STATEMENT_CACHE_SIZE = 500

type Statement = { reader: boolean }
type RawConnection = {
  pragma(source: string): unknown
  prepare(sql: string): Statement
}

export function configureConnection<T extends RawConnection>(conn: T): T {
  conn.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
  conn.pragma('journal_mode = WAL')
  conn.pragma('synchronous = FULL')
  conn.pragma('foreign_keys = ON')

  const prepare = conn.prepare.bind(conn)
  const cache = new Map<string, Statement>()
  conn.prepare = (sql: string) => {
    const text = sql === 'BEGIN;' || sql === 'BEGIN' ? 'BEGIN IMMEDIATE;' : sql
    let statement = cache.get(text)
    if (statement) {
      /* Move to the back: the map's first key is the least recently used. */
      cache.delete(text)
    } else {
      statement = prepare(text)
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!)
    }
    cache.set(text, statement)
    return statement
  }
  return conn
}
