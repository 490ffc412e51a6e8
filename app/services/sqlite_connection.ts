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
 * - statements are prepared once and reused (the ORM sends the same SQL over and over);
 * - parameters are written `+?`, so that a reused statement is not compiled again on every
 *   run (see `plainParameters`).
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
      statement = prepare(plainParameters(text))
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!)
    }
    cache.set(text, statement)
    return statement
  }
  return conn
}

/**
 * SQLite (3.47 on) marks a statement for a fresh compile whenever a parameter it looked at
 * while planning is bound anew: a `col = ?` the planner weighed but did not use for the
 * index, a LIMIT, any such term in a join or a subquery. better-sqlite3 clears and binds the
 * parameters on every run, so those statements (the chunk path's look-up, the heartbeat's
 * state, most of the ORM's joins) were compiled again each time: 30-50 µs instead of 5, and
 * a fifth of the web process's SQLite time under load (bench/ingest profile). SQLite's
 * switch against it (QPSG) cannot be set through better-sqlite3; a parameter behind a unary
 * plus is an expression SQLite does not look into while planning, and unary plus changes no
 * value. Indexes are used as before: the plan does not depend on bound values.
 *
 * Rewrites every parameter (`?`, `?NNN`, `:name`, `@name`, `$name`) outside string
 * literals, quoted names and comments.
 */
export function plainParameters(sql: string) {
  let out = ''
  let i = 0
  while (i < sql.length) {
    const c = sql[i]
    const close = c === "'" ? "'" : c === '"' ? '"' : c === '`' ? '`' : c === '[' ? ']' : undefined
    let end = i + 1
    if (close) {
      /* A quoted text or name, with its doubled quotes inside. */
      for (;;) {
        const at = sql.indexOf(close, end)
        if (at < 0) {
          end = sql.length
          break
        }
        end = at + 1
        if (close === ']' || sql[end] !== close) break
        end++
      }
    } else if (c === '-' && sql[i + 1] === '-') {
      const at = sql.indexOf('\n', i)
      end = at < 0 ? sql.length : at
    } else if (c === '/' && sql[i + 1] === '*') {
      const at = sql.indexOf('*/', i + 2)
      end = at < 0 ? sql.length : at + 2
    } else if (c === '?' || ((c === ':' || c === '@' || c === '$') && /[A-Za-z_]/.test(sql[i + 1] ?? ''))) {
      while (end < sql.length && /[A-Za-z0-9_]/.test(sql[end])) end++
      out += '+'
    }
    out += sql.slice(i, end)
    i = end
  }
  return out
}
