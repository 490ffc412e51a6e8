import { test } from '@japa/runner'
import { randomUUID } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import Exam from '#models/exam'
import Group from '#models/group'
import Candidate from '#models/candidate'
import System from '#models/system'
import ProctoringSession from '#models/proctoring_session'
import { staffUser } from '#tests/helpers/fixtures'
import { WebClient } from '#tests/helpers/http'

/*
 * The results list's total comes from counts SQLite keeps per exam, status, decision, ПКН, system
 * and archive flag (migration 0020), and a list sorted by group walks the groups' name index with
 * the group-less candidates apart (list_results.ts). These tests hold both to what a proctor reads.
 */

const base = { durationMinutes: 30, violationLimit: 3, reconnectWindowSeconds: 300, requiresScreen: true, requiresPhone: false, weights: {}, rules: { allowed: [], forbidden: [] } }
let made = 0

async function proctorClient() {
  const { user, password } = await staffUser('proctor')
  const client = new WebClient(env.get('APP_URL'), 'en')
  await client.login(user.email, password)
  return client
}

async function results(client: WebClient, query: string) {
  const response = await client.request(`/staff/results?${query}`)
  const html = await response.text()
  const total = /data-testid="total">[^<]*?(\d+)/.exec(html)
  return { status: response.status, total: total ? Number(total[1]) : null, rows: [...html.matchAll(/<tr data-session="([^"]+)"/g)].map((m) => m[1]) }
}

const newSession = (fields: Partial<ProctoringSession> & { examId: number; candidateId: number }) =>
  ProctoringSession.create({ publicId: randomUUID(), status: 'not_started', decision: 'none', archived: false, violationCount: 0, ...fields })

test.group('Results: totals and the group sort (issue 9)', () => {
  test('the total a proctor reads stays exact as sessions are made, changed, archived, moved and deleted', async ({ assert }) => {
    made++
    const token = `T${made}x${Date.now().toString(36)}`
    const system = await System.create({ name: `LMS ${token}`, kind: 'link', active: true } as any)
    const first = await Exam.create({ ...base, title: `Counted ${token} one`, passThreshold: 60 } as any)
    const second = await Exam.create({ ...base, title: `Counted ${token} two`, passThreshold: 60 } as any)
    const people = await Promise.all([0, 1, 2].map((i) => Candidate.create({ fullName: `Counted ${token} ${i}`, externalId: `${token}-${i}` })))
    const sessions: ProctoringSession[] = []
    for (let i = 0; i < 12; i++) {
      sessions.push(
        await newSession({
          examId: i % 3 === 0 ? second.id : first.id,
          candidateId: people[i % 3].id,
          status: (['finished', 'in_progress', 'stopped', 'not_started'] as const)[i % 4],
          decision: (['none', 'accepted', 'rejected'] as const)[i % 3],
          endReason: i % 4 === 2 ? 'violation_limit' : i % 4 === 0 ? 'finished_by_student' : null,
          systemId: i % 2 ? system.id : null,
        })
      )
    }
    const client = await proctorClient()
    /* Each filter the kept counts answer, with what it keeps of a session (read back from the row itself). */
    const filters: [string, (s: ProctoringSession) => boolean][] = [
      ['', (s) => !s.archived],
      ['status=finished', (s) => !s.archived && s.status === 'finished'],
      ['status=in_progress&decision=none', (s) => !s.archived && s.status === 'in_progress' && s.decision === 'none'],
      ['decision=accepted', (s) => !s.archived && s.decision === 'accepted'],
      ['pkn=1', (s) => !s.archived && s.endReason === 'violation_limit'],
      ['pkn=0', (s) => !s.archived && s.endReason !== 'violation_limit'],
      [`system=${system.id}`, (s) => !s.archived && s.systemId === system.id],
      ['archive=1', (s) => s.archived],
    ]
    const check = async (step: string) => {
      const now = await ProctoringSession.query().whereIn('exam_id', [first.id, second.id])
      for (const exam of [first, second]) {
        for (const [query, keeps] of filters) {
          const expected = now.filter((s) => s.examId === exam.id && keeps(s)).length
          const page = await results(client, `exam=${encodeURIComponent(exam.title)}&${query}`)
          assert.equal(page.status, 200)
          /* (An empty list says "no matches" instead of a total.) */
          assert.equal(page.total ?? 0, expected, `${step}: ${exam.title} ${query}`)
          assert.lengthOf(page.rows, expected, `${step}: rows of ${exam.title} ${query}`)
        }
      }
    }
    await check('made')

    sessions[1].merge({ status: 'finished', endReason: 'finished_by_student', decision: 'accepted' })
    await sessions[1].save()
    sessions[4].merge({ status: 'stopped', endReason: 'violation_limit' })
    await sessions[4].save()
    /* A change to a column no filter counts (credibility, last seen) leaves the totals alone. */
    sessions[5].merge({ credibility: 77, lastSeenAt: sessions[5].createdAt })
    await sessions[5].save()
    await check('changed')

    sessions[2].merge({ archived: true })
    await sessions[2].save()
    sessions[7].merge({ examId: second.id, systemId: null })
    await sessions[7].save()
    await check('archived and moved')

    await sessions[8].delete()
    /* A candidate's deletion takes their sessions with it (ON DELETE CASCADE): the triggers still run. */
    await people[0].delete()
    await check('deleted')

    /* And over every session of the appliance (other tests' too), the kept counts are a real count. */
    const kept = await db.rawQuery('SELECT exam_id, archived, status, decision, end_reason, system_id, n FROM session_list_counts WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5, 6')
    const counted = await db.rawQuery(
      `SELECT exam_id, archived <> 0 AS archived, status, decision, iif(end_reason IS 'violation_limit', 'violation_limit', '') AS end_reason, ifnull(system_id, 0) AS system_id, count(*) AS n
         FROM proctoring_sessions GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6`
    )
    assert.deepEqual(kept, counted)
  })

  test('sorted by group, the students without a group come first going up and last going down, across pages', async ({ assert }) => {
    made++
    const token = `G${made}x${Date.now().toString(36)}`
    const exam = await Exam.create({ ...base, title: `Grouped ${token}`, passThreshold: 60 } as any)
    const groups = await Promise.all(['b', 'a', 'c'].map((letter) => Group.create({ name: `${token}-${letter}` })))
    const rows: { publicId: string; id: number; group: string | null }[] = []
    /* 28 sessions in three groups, given out of the groups' order, and 3 of students without a group, between them. */
    for (let i = 0; i < 31; i++) {
      const group = i % 10 === 3 ? null : groups[i % 3]
      const candidate = await Candidate.create({ fullName: `Grouped ${token} ${i}`, groupId: group?.id ?? null, externalId: `${token}-${i}` })
      const session = await newSession({ examId: exam.id, candidateId: candidate.id, status: 'finished' })
      rows.push({ publicId: session.publicId, id: session.id, group: group?.name ?? null })
    }
    const client = await proctorClient()
    for (const dir of ['asc', 'desc'] as const) {
      /* As SQLite orders: no group first going up, then the session number in the same direction. */
      const expected = [...rows]
        .sort((a, b) => {
          const byGroup = a.group === b.group ? 0 : a.group === null ? -1 : b.group === null ? 1 : a.group < b.group ? -1 : 1
          return (byGroup || a.id - b.id) * (dir === 'asc' ? 1 : -1)
        })
        .map((row) => row.publicId)
      const one = await results(client, `exam=${encodeURIComponent(exam.title)}&sort=group&dir=${dir}`)
      const two = await results(client, `exam=${encodeURIComponent(exam.title)}&sort=group&dir=${dir}&page=2`)
      assert.equal(one.total, 31)
      assert.deepEqual([...one.rows, ...two.rows], expected, dir)
    }
    /* Page 2 of 25 going down starts among the grouped and ends with all three group-less sessions. */
    const last = await results(client, `exam=${encodeURIComponent(exam.title)}&sort=group&dir=desc&page=2`)
    assert.deepEqual(
      last.rows.slice(-3).map((id) => rows.find((row) => row.publicId === id)!.group),
      [null, null, null]
    )
  })
})
