import { test } from '@japa/runner'
import { readFile, rm, writeFile } from 'node:fs/promises'
import db from '@adonisjs/lucid/services/db'
import ace from '@adonisjs/core/services/ace'
import archiveConfig from '#config/archive'
import ArchiveVerify from '../../commands/archive_verify.js'
import { recordAction, verifyArchive } from '#actions/audit/record_action'
import { GENESIS_HASH, legacyEntryHash, sealedFieldsOf, type AuditRow } from '#actions/audit/archive_chain'
import { resealLegacyArchive } from '#actions/audit/reseal_archive'

const actor = { userId: null, name: 'Аудитор Тест', iin: '900101300123', role: 'auditor' }

/** Runs `node ace archive:verify` in this process and returns the command (exit code, logs). */
async function archiveVerify(...args: string[]) {
  ace.ui.switchMode('raw')
  const command = await ace.create(ArchiveVerify, args)
  await command.exec()
  return command
}

const errorLines = (command: ArchiveVerify) =>
  command.logger.getLogs().filter((log) => log.stream === 'stderr').map((log) => log.message).join('\n')

/**
 * Keeps the archive (rows and head file) as it is now and puts it back after a test that
 * tampers with it, so the tests after it start from an intact archive.
 */
async function keepArchive(cleanup: (fn: () => Promise<void>) => void) {
  const rows: AuditRow[] = await db.from('audit_entries').orderBy('id')
  const head = await readFile(archiveConfig.headFile).catch(() => null)
  cleanup(async () => {
    await db.from('audit_entries').delete()
    for (const row of rows) await db.table('audit_entries').insert(row)
    if (head) await writeFile(archiveConfig.headFile, head)
    else await rm(archiveConfig.headFile, { force: true })
  })
}

test.group('Action archive', () => {
  test('entries chain together and the archive verifies', async ({ assert }) => {
    const first = await recordAction(actor, { action: 'report.view', subjectType: 'session', subjectId: 'a' })
    const second = await recordAction(actor, { action: 'recording.download', subjectType: 'recording', subjectId: 7, details: { stream: 'webcam' } })
    assert.equal(second.prevHash, first.hash)
    const result = await verifyArchive()
    assert.isTrue(result.ok)
    assert.isAtLeast(result.checked, 2)
    const command = await archiveVerify()
    command.assertSucceeded()
  })

  test('an entry changed afterwards is found by verification', async ({ assert }) => {
    const entry = await recordAction(actor, { action: 'decision.set', subjectType: 'session', subjectId: 'b', details: { decision: 'rejected' } })
    await recordAction(actor, { action: 'report.view', subjectType: 'session', subjectId: 'b' })
    await db.from('audit_entries').where('id', entry.id).update({ details: JSON.stringify({ decision: 'accepted' }) })
    const result = await verifyArchive()
    assert.isFalse(result.ok)
    assert.equal(result.ok === false && result.brokenAt, entry.id)
    await db.from('audit_entries').where('id', entry.id).update({ details: JSON.stringify({ decision: 'rejected' }) })
    assert.isTrue((await verifyArchive()).ok)
  })

  test('an entry deleted from the middle is found by verification', async ({ assert }) => {
    await recordAction(actor, { action: 'report.view', subjectId: 'c' })
    const middle = await recordAction(actor, { action: 'report.view', subjectId: 'd' })
    const after = await recordAction(actor, { action: 'report.view', subjectId: 'e' })
    await db.from('audit_entries').where('id', middle.id).delete()
    const result = await verifyArchive()
    assert.isFalse(result.ok)
    assert.equal(result.ok === false && result.brokenAt, after.id)
    await db.table('audit_entries').insert({
      id: middle.id, user_id: null, actor_name: actor.name, actor_iin: actor.iin, actor_role: actor.role,
      action: middle.action, subject_type: null, subject_id: 'd', details: null, ip: null,
      created_at: middle.createdAt, prev_hash: middle.prevHash, hash: middle.hash,
    })
    assert.isTrue((await verifyArchive()).ok)
  })

  test('a rewritten entry with every later hash recomputed fails verification', async ({ assert, cleanup }) => {
    await keepArchive(cleanup)
    const rewritten = await recordAction(actor, { action: 'decision.set', subjectType: 'session', subjectId: 'f', details: { decision: 'rejected' } })
    await recordAction(actor, { action: 'report.view', subjectType: 'session', subjectId: 'f' })
    await recordAction(actor, { action: 'report.view', subjectType: 'session', subjectId: 'g' })

    /* What someone with the database but not the key can do: change the entry, then re-chain
       it and every later one with the published (unkeyed SHA-256) algorithm. */
    await db.from('audit_entries').where('id', rewritten.id).update({ details: JSON.stringify({ decision: 'accepted' }) })
    const rows: AuditRow[] = await db.from('audit_entries').where('id', '>=', rewritten.id).orderBy('id')
    let prevHash = rewritten.prevHash
    for (const row of rows) {
      const hash = legacyEntryHash(prevHash, sealedFieldsOf(row))
      await db.from('audit_entries').where('id', row.id).update({ prev_hash: prevHash, hash })
      prevHash = hash
    }

    const command = await archiveVerify()
    command.assertExitCode(1)
    assert.include(errorLines(command), `broken at entry ${rewritten.id}`)
    assert.equal((await verifyArchive()).findings[0].kind, 'entry_altered')
  })

  test('deleting the newest entries fails verification', async ({ assert, cleanup }) => {
    await keepArchive(cleanup)
    await recordAction(actor, { action: 'report.view', subjectId: 'h' })
    const firstDeleted = await recordAction(actor, { action: 'recording.download', subjectType: 'recording', subjectId: 8 })
    const newest = await recordAction(actor, { action: 'recording.download', subjectType: 'recording', subjectId: 9 })
    await db.from('audit_entries').where('id', '>=', firstDeleted.id).delete()

    const command = await archiveVerify()
    command.assertExitCode(1)
    assert.include(errorLines(command), `entries #${firstDeleted.id} to #${newest.id} are missing`)
    const result = await verifyArchive()
    assert.equal(result.findings[0].kind, 'truncated')
    assert.equal(result.brokenAt, firstDeleted.id)
  })

  test('a deleted middle entry is named by verification', async ({ assert, cleanup }) => {
    await keepArchive(cleanup)
    await recordAction(actor, { action: 'report.view', subjectId: 'i' })
    const middle = await recordAction(actor, { action: 'decision.set', subjectType: 'session', subjectId: 'i', details: { decision: 'rejected' } })
    await recordAction(actor, { action: 'report.view', subjectId: 'j' })
    await db.from('audit_entries').where('id', middle.id).delete()

    const command = await archiveVerify()
    command.assertExitCode(1)
    assert.include(errorLines(command), `entry #${middle.id} is missing`)
  })

  test('an edited head file fails verification', async ({ assert, cleanup }) => {
    await keepArchive(cleanup)
    const kept = await recordAction(actor, { action: 'report.view', subjectId: 'k' })
    await recordAction(actor, { action: 'recording.download', subjectType: 'recording', subjectId: 10 })
    /* The newest entry deleted, and the head edited to end where the database now ends. */
    const head = JSON.parse(await readFile(archiveConfig.headFile, 'utf8'))
    await db.from('audit_entries').where('id', '>', kept.id).delete()
    await writeFile(archiveConfig.headFile, JSON.stringify({ ...head, id: kept.id, hash: kept.hash, prevHash: kept.prevHash, count: head.count - 1 }))

    const command = await archiveVerify()
    command.assertExitCode(1)
    assert.include(errorLines(command), 'not signed with the archive key')
    assert.equal((await verifyArchive()).findings[0].kind, 'head_invalid')
  })

  test('a missing head file fails verification while entries exist', async ({ assert, cleanup }) => {
    await keepArchive(cleanup)
    await recordAction(actor, { action: 'report.view', subjectId: 'l' })
    await rm(archiveConfig.headFile)
    const command = await archiveVerify()
    command.assertExitCode(1)
    assert.include(errorLines(command), 'head file')
    assert.equal((await verifyArchive()).findings[0].kind, 'head_missing')

    /* The app goes on writing, but says in the chain itself that the head was gone. */
    const next = await recordAction(actor, { action: 'report.view', subjectId: 'm' })
    const result = await verifyArchive()
    assert.isFalse(result.ok)
    assert.equal(result.findings[0].kind, 'head_missing')
    assert.equal(result.brokenAt, next.id - 1)
  })

  test('a head one entry ahead of the database is reported as a possible crash, and can be accepted', async ({ assert, cleanup }) => {
    await keepArchive(cleanup)
    await recordAction(actor, { action: 'report.view', subjectId: 'n' })
    /* As a process stopping between writing the head and committing leaves it. */
    const lost = await recordAction(actor, { action: 'report.view', subjectId: 'o' })
    await db.from('audit_entries').where('id', lost.id).delete()

    const result = await verifyArchive()
    assert.isFalse(result.ok)
    assert.equal(result.findings[0].kind, 'unfinished_entry')
    assert.equal(result.brokenAt, lost.id)
    assert.isTrue((await verifyArchive({ accept: [lost.id] })).ok)

    /* The next entry records what it found; verification still names it until accepted. */
    await recordAction(actor, { action: 'report.view', subjectId: 'p' })
    const later = await verifyArchive()
    assert.equal(later.findings[0].kind, 'unfinished_entry')
    assert.equal(later.brokenAt, lost.id)
    const accepted = await archiveVerify(`--accept=${lost.id}`)
    accepted.assertSucceeded()
  })

  test('an archive chained with the old plain hashes is re-sealed with the key once', async ({ assert, cleanup }) => {
    await keepArchive(cleanup)
    await db.from('audit_entries').delete()
    await rm(archiveConfig.headFile, { force: true })
    let prevHash = GENESIS_HASH
    for (const subject of ['q', 'r', 's']) {
      const row = {
        user_id: null, actor_name: actor.name, actor_iin: actor.iin, actor_role: actor.role,
        action: 'report.view', subject_type: 'session', subject_id: subject, details: JSON.stringify(null), ip: null,
        created_at: new Date().toISOString(), prev_hash: prevHash, hash: '',
      }
      row.hash = legacyEntryHash(prevHash, sealedFieldsOf(row))
      await db.table('audit_entries').insert(row)
      prevHash = row.hash
    }
    const note = await db.transaction((trx) => resealLegacyArchive(trx))
    assert.deepInclude(note!.details, { entries: 3, legacyIntact: true, legacyHeadHash: prevHash })
    const result = await verifyArchive()
    assert.isTrue(result.ok)
    assert.equal(result.checked, 4)
    assert.isNull(await db.transaction((trx) => resealLegacyArchive(trx)))
  })
})
