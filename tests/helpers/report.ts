import { DateTime } from 'luxon'
import env from '#start/env'
import Attempt from '#models/attempt'
import ProctoringEvent from '#models/proctoring_event'
import ProctoringSession from '#models/proctoring_session'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { WebClient, openStudentLink, studentApi } from '#tests/helpers/http'
import type { StaffRole } from '#models/user'

/* What the report tests (tests/functional/report_*.spec.ts) share. */

export const baseUrl = () => env.get('APP_URL')

/** A student in the exam since 10 minutes ago (exam time 0 = then). */
export async function studentInExam(overrides: Parameters<typeof examWithCandidate>[0] = {}, url = baseUrl()) {
  const student = await openStudentLink(url, (await examWithCandidate(overrides)).link)
  const api = studentApi(url, student)
  if ((await api.startAttempt()).status !== 201) throw new Error('the attempt did not start')
  const session = await ProctoringSession.findByOrFail('publicId', student.sessionId)
  const origin = DateTime.now().minus({ minutes: 10 }).startOf('second')
  session.startedAt = origin
  /* Heard from just now: still in the exam (else the scheduled sweep closes it as abandoned). */
  session.lastSeenAt = DateTime.now()
  await session.save()
  await Attempt.query().where('sessionId', session.id).update({ startedAt: origin.toSQL({ includeOffset: false }) })
  const post = (path: string, body: unknown) =>
    fetch(`${url}/api/student/sessions/${student.sessionId}${path}`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${student.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  return { student, api, session, origin, post }
}

export async function loggedIn(role: StaffRole, language = 'en') {
  const { user, password } = await staffUser(role)
  const client = new WebClient(baseUrl(), language)
  await client.login(user.email, password)
  return client
}

/** The log's rows as a proctor sees them: exam time, clock time, kind, sources, length. */
export function logRows(html: string) {
  return [...html.matchAll(/<tr data-violation[^>]*data-start="([^"]+)" data-end="([^"]+)" data-attempt="([^"]*)"[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => {
    const cells = [...m[4].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim())
    return { start: Number(m[1]), end: Number(m[2]), attempt: m[3], time: cells[0], kind: cells[1], sources: cells[2], length: cells[3] }
  })
}


/** A finding of the analysis (or another source) from..to seconds of exam time. */
export async function analysisFinding(session: ProctoringSession, origin: DateTime, type: string, from: number, to: number, source: 'analysis' | 'browser' | 'proctor' = 'analysis') {
  /* As the analysis keeps them: to the second, and to the tenth as offsets into the attempt (begun at exam time 0 here). */
  const attempt = await Attempt.query().where('sessionId', session.id).orderBy('number').firstOrFail()
  await ProctoringEvent.create({
    sessionId: session.id,
    attemptId: attempt.id,
    offsetStart: from,
    offsetEnd: to,
    type,
    source,
    isViolation: true,
    startedAt: origin.plus({ milliseconds: from * 1000 }),
    endedAt: origin.plus({ milliseconds: to * 1000 }),
  })
}

/** The exam ended `seconds` after it began (finished, its attempt closed). */
export async function endedAfter(session: ProctoringSession, origin: DateTime, seconds: number) {
  const end = origin.plus({ seconds })
  session.merge({ status: 'finished', endReason: 'finished_by_student', endedAt: end })
  await session.save()
  await Attempt.query().where('sessionId', session.id).update({ endedAt: end.toSQL({ includeOffset: false }) })
}

/** The text of an element with this data-testid (tags stripped), or null. */
export function testId(html: string, id: string) {
  const match = new RegExp(`<(\\w+)[^>]*data-testid="${id}"[^>]*>([\\s\\S]*?)</\\1>`).exec(html)
  return match ? match[2].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim() : null
}
