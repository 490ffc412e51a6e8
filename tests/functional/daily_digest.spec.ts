import { test } from '@japa/runner'
import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import Exam from '#models/exam'
import Candidate from '#models/candidate'
import ProctoringSession from '#models/proctoring_session'
import ConnectionCheck from '#models/connection_check'
import User from '#models/user'
import { staffUser } from '#tests/helpers/fixtures'
import { startSmtpServer } from '#tests/helpers/smtp'
import { saveMailSettings } from '#actions/mail/mail_settings'
import { deliverDueMail } from '#services/mail/outbox'
import { sendDailyDigest } from '#actions/mail/daily_digest'
import { SYSTEM_ACTOR } from '#actions/audit/record_action'

const base = { durationMinutes: 30, violationLimit: 3, reconnectWindowSeconds: 300, requiresScreen: true, requiresPhone: false, weights: {}, rules: { allowed: [], forbidden: [] } }

test.group('Daily digest (issue 11, O1)', (group) => {
  /* Only this test's admin gets it: the run's other active admins are switched off meanwhile. */
  let others: number[] = []
  group.each.setup(async () => {
    others = (await User.query().where({ role: 'admin', active: true })).map((user) => user.id)
    await User.query().whereIn('id', others).update({ active: false })
    return async () => {
      await User.query().whereIn('id', others).update({ active: true })
    }
  })

  test('the digest arrives at the set time when the test moves the clock, once a day, with yesterday\'s figures', async ({ assert, cleanup }) => {
    const smtp = await startSmtpServer()
    cleanup(() => smtp.close())
    await saveMailSettings(SYSTEM_ACTOR, { host: '127.0.0.1', port: smtp.port, tlsMode: 'none', fromAddress: 'proctor@university.kz', fromName: 'Proctor' })
    const { user: admin } = await staffUser('admin')
    admin.locale = 'kk'
    await admin.save()

    /* The "clock": 2031-05-12; yesterday (2031-05-11) had 3 sessions begun, 2 ended, one of them a ПКН stop, and 2 camera failures. */
    const today = DateTime.fromISO('2031-05-12T06:59:00')
    const exam = await Exam.create({ ...base, title: 'Дайджест', passThreshold: 60 } as any)
    const make = async (i: number, fields: Partial<ProctoringSession>) => {
      const candidate = await Candidate.create({ fullName: `Дайджест ${i}`, externalId: `digest-${i}-${randomUUID()}` })
      return ProctoringSession.create({ publicId: randomUUID(), examId: exam.id, candidateId: candidate.id, status: 'finished', decision: 'none', archived: false, violationCount: 0, ...fields } as any)
    }
    const y = (time: string) => DateTime.fromISO(`2031-05-11T${time}`)
    const s1 = await make(1, { startedAt: y('09:00:00'), endedAt: y('09:40:00'), endReason: 'finished_by_student' })
    await make(2, { startedAt: y('10:00:00'), endedAt: y('10:10:00'), status: 'stopped', endReason: 'violation_limit' })
    await make(3, { startedAt: y('11:00:00'), status: 'in_progress' })
    await make(4, { startedAt: DateTime.fromISO('2031-05-10T11:00:00'), endedAt: DateTime.fromISO('2031-05-10T11:30:00') })
    for (const at of ['09:01:00', '09:02:00']) {
      await ConnectionCheck.create({ sessionId: s1.id, item: 'camera', passed: false, errorCode: 'CAMERA_DENIED', createdAt: y(at) } as any)
    }

    assert.equal(await sendDailyDigest(today), 0, 'not before 07:00')
    assert.equal(await sendDailyDigest(today.set({ minute: 0, hour: 7 })), 1, 'at 07:00')
    assert.equal(await sendDailyDigest(today.set({ hour: 7, minute: 1 })), 0, 'not twice the same day')
    await deliverDueMail({ retryBaseMs: 10 })
    assert.lengthOf(smtp.received, 1)
    const { envelope, mail } = smtp.received[0]
    assert.deepEqual(envelope.to, [admin.email])
    assert.include(mail.subject ?? '', '11.05.2031')
    const text = mail.text ?? ''
    assert.include(text, 'Басталған сессиялар: 3')
    assert.include(text, 'Аяқталған сессиялар: 2')
    assert.include(text, 'Бұзушылық шегімен тоқтатылды (ПКН): 1')
    assert.include(text, 'Камераға рұқсат жоқ: 2')
    assert.match(text, /Шешім күтіп тұр \(барлық күндер\): \d+/)

    /* The next morning it comes again. */
    assert.equal(await sendDailyDigest(today.plus({ days: 1 }).set({ hour: 7, minute: 5 })), 1)
    const entry = await db.from('audit_entries').where('action', 'mail.digest').orderBy('id', 'desc').first()
    assert.include(String(entry.details), admin.email)
  })
})
