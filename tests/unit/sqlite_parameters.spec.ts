import { test } from '@japa/runner'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { configureConnection, plainParameters } from '#services/sqlite_connection'

/*
| Every statement of the app is handed to SQLite with its parameters written `+?`
| (sqlite_connection.ts: plainParameters), so that a statement used again is not compiled
| again. What a query answers must not change for it: question marks and names inside
| quoted text, quoted names and comments stay as they are.
*/
test.group('SQLite parameters', (group) => {
  let folder: string
  let db: any
  group.each.setup(async () => {
    folder = await mkdtemp(join(tmpdir(), 'sqlite-parameters-'))
    db = configureConnection(new BetterSqlite3(join(folder, 'test.sqlite3')))
    db.exec(`CREATE TABLE "who?" (id INTEGER PRIMARY KEY, "name?" TEXT, [kind:x] TEXT, note TEXT)`)
    db.exec(`CREATE INDEX who_kind ON "who?" ([kind:x], "name?")`)
    return async () => {
      db.close()
      await rm(folder, { recursive: true, force: true })
    }
  })

  test('queries with question marks in their text, names and comments give the same rows through the app connection', ({ assert }) => {
    const insert = db.prepare(`INSERT INTO "who?" ("name?", [kind:x], note) VALUES (?, ?, 'it''s ? or @x') -- a ? here
      RETURNING id`)
    const first = insert.get('Айгерим', 'student').id
    insert.get('Dana?', 'proctor')
    insert.get('Ержан', 'student')

    /* Named parameters of each kind, beside a literal '?' and a comment holding one. */
    const rows = db
      .prepare(
        `SELECT "name?" AS name, note, '?' AS mark FROM "who?" /* ? :x */
          WHERE [kind:x] = @kind AND "name?" <> :skip AND id >= @first ORDER BY id LIMIT $limit`
      )
      .all({ kind: 'student', skip: 'nobody', limit: 5, first })
    assert.deepEqual(rows, [
      { name: 'Айгерим', note: "it's ? or @x", mark: '?' },
      { name: 'Ержан', note: "it's ? or @x", mark: '?' },
    ])
    /* A value, whatever its type, goes in and comes back unchanged. */
    const same = db.prepare('SELECT ? AS n, ? AS t, ? AS b, ? AS z').get(12, 'x', Buffer.from([1, 2]), null)
    assert.deepEqual(same, { n: 12, t: 'x', b: Buffer.from([1, 2]), z: null })
    assert.equal(db.prepare(`SELECT count(*) AS n FROM "who?" WHERE "name?" LIKE ?`).get('Dana%').n, 1)
  })

  test('the rewrite touches parameters only, and the index is still used', ({ assert }) => {
    assert.equal(
      plainParameters(`SELECT '?', "a?", [b?] FROM t WHERE x = ? AND y IN (?, ?2) -- ?\n AND z = @z /* :w */`),
      `SELECT '?', "a?", [b?] FROM t WHERE x = +? AND y IN (+?, +?2) -- ?\n AND z = +@z /* :w */`
    )
    const plan = db.prepare(`EXPLAIN QUERY PLAN SELECT id FROM "who?" WHERE [kind:x] = ? AND "name?" = ?`).all('student', 'Ержан')
    assert.match(plan.map((step: { detail: string }) => step.detail).join(' '), /USING (COVERING )?INDEX who_kind/)
  })
})
