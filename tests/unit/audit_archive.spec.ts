import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { recordAction, verifyArchive } from '#actions/audit/record_action'

const actor = { userId: null, name: 'Аудитор Тест', iin: '900101300123', role: 'auditor' }

test.group('Action archive', () => {
  test('entries chain together and the archive verifies', async ({ assert }) => {
    const first = await recordAction(actor, { action: 'report.view', subjectType: 'session', subjectId: 'a' })
    const second = await recordAction(actor, { action: 'recording.download', subjectType: 'recording', subjectId: 7, details: { stream: 'webcam' } })
    assert.equal(second.prevHash, first.hash)
    const result = await verifyArchive()
    assert.isTrue(result.ok)
    assert.isAtLeast(result.checked, 2)
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
})
