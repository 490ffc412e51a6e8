import type { StudentSession } from '#middleware/student_session_middleware'
import { withConnection } from '#services/sqlite_direct'

/**
 * What the exam page (and the phone page) learns with each heartbeat: whether the session
 * still runs, its violation count, the current attempt, which identity steps are done and
 * when the phone was last heard from. One statement: every student asks every 5 seconds.
 */
export async function sessionState(session: StudentSession) {
  const row = await withConnection((conn) =>
    conn
      .prepare(
        `SELECT (SELECT MAX(number) FROM attempts WHERE session_id = @id) AS attempt,
                EXISTS (SELECT 1 FROM identity_checks WHERE session_id = @id AND kind = 'face' AND result = 'accepted') AS face,
                EXISTS (SELECT 1 FROM identity_checks WHERE session_id = @id AND kind = 'document' AND result = 'accepted') AS document`
      )
      .get({ id: session.id })
  ) as { attempt: number | null; face: number; document: number }
  return {
    status: session.status,
    endReason: session.endReason,
    stopNote: session.stopNote,
    violations: session.violationCount,
    attempt: row.attempt,
    phoneSeenAgoMs: session.phoneLastSeenAtMs === null ? null : Date.now() - session.phoneLastSeenAtMs,
    identity: { consent: session.consented, face: Boolean(row.face), document: Boolean(row.document) },
  }
}
