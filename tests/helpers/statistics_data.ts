import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import Exam from '#models/exam'
import Group from '#models/group'
import Candidate from '#models/candidate'
import Attempt from '#models/attempt'
import ConnectionCheck from '#models/connection_check'
import ProctoringSession from '#models/proctoring_session'

const base = { durationMinutes: 30, violationLimit: 3, reconnectWindowSeconds: 300, requiresScreen: true, requiresPhone: false, weights: {}, rules: { allowed: [], forbidden: [] } }

/**
 * A seeded data set with known counts, in its own exam: sessions begun on 2026-03-02 (3: at
 * 09:xx, 09:xx, 14:xx), 2026-03-03 (1 at 09:xx), 2026-03-05 (2 at 18:xx), one on 2026-02-27 (out of
 * the range asked for); system checks: 2 sessions with CAMERA_DENIED (one got in, one did not),
 * 1 with UPLOAD_SLOW (got in), 2 passing everything; 2 sessions joined again (3 and 2 attempts).
 */
export async function seeded() {
  const token = `S${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`
  const exam = await Exam.create({ ...base, title: `Статистика ${token}`, passThreshold: 60 } as any)
  const group = await Group.create({ name: `СТ-${token}` })
  const starts = ['2026-03-02T09:05:00', '2026-03-02T09:40:00', '2026-03-02T14:10:00', '2026-03-03T09:00:00', '2026-03-05T18:00:00', '2026-03-05T18:30:00', '2026-02-27T10:00:00']
  const sessions: ProctoringSession[] = []
  for (const [i, start] of starts.entries()) {
    const candidate = await Candidate.create({ fullName: `Студент ${i} ${token}`, groupId: group.id, externalId: `${token}-${i}` })
    const session = await ProctoringSession.create({
      publicId: randomUUID(),
      examId: exam.id,
      candidateId: candidate.id,
      status: i === 1 ? 'not_started' : i === 4 ? 'stopped' : 'finished',
      endReason: i === 4 ? 'violation_limit' : null,
      startedAt: DateTime.fromISO(start),
      credibility: 50 + i * 5,
      decision: 'none',
      archived: false,
      violationCount: 0,
    } as any)
    sessions.push(session)
  }
  const check = (session: ProctoringSession, item: string, passed: boolean, errorCode: string | null = null) =>
    ConnectionCheck.create({ sessionId: session.id, item, passed, errorCode })
  await check(sessions[0], 'camera', false, 'CAMERA_DENIED')
  await check(sessions[0], 'camera', true)
  await check(sessions[1], 'camera', false, 'CAMERA_DENIED')
  await check(sessions[2], 'upload_speed', false, 'UPLOAD_SLOW')
  await check(sessions[2], 'upload_speed', true)
  await check(sessions[3], 'camera', true)
  await check(sessions[4], 'camera', true)
  await check(sessions[6], 'camera', false, 'SECOND_MONITOR') /* out of the range */
  const attempts = async (session: ProctoringSession, n: number) => {
    for (let number = 1; number <= n; number++) await Attempt.create({ sessionId: session.id, number, startedAt: session.startedAt!.plus({ minutes: number }) })
  }
  await attempts(sessions[0], 3)
  await attempts(sessions[3], 2)
  await attempts(sessions[5], 1)
  return { exam, group, sessions, token }
}

