import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import ProctoringSession, { type Decision } from '#models/proctoring_session'
import SessionDecision from '#models/session_decision'
import { appendEntry, type Actor } from '#actions/audit/record_action'
import { queueGradesBack } from '#actions/lti/ags_grades'
import { queueWebhook } from '#services/webhooks'

export type DecisionInput = { decision: Decision; comment?: string | null }

/**
 * Sets a session's decision (none / accepted / rejected = "annulled" / review = "second review
 * needed") with a comment, in one transaction: the session's current decision, a row of its
 * history and an entry in the action archive (from, to, comment). Setting the same decision
 * again with a new comment is a change too: nothing is lost.
 */
export async function setDecision(session: ProctoringSession, input: DecisionInput, actor: Actor, ip: string) {
  const comment = input.comment?.trim() || null
  return db.transaction(async (trx) => {
    const current = await ProctoringSession.query({ client: trx }).where('id', session.id).firstOrFail()
    const previous = current.decision
    const now = DateTime.now()
    current.decision = input.decision
    current.decidedBy = actor.userId
    current.decidedAt = now
    await current.useTransaction(trx).save()
    await SessionDecision.create(
      { sessionId: current.id, decision: input.decision, previous, comment, userId: actor.userId, actorName: actor.name },
      { client: trx }
    )
    await appendEntry(trx, actor, {
      action: 'session.decision',
      subjectType: 'session',
      subjectId: current.publicId,
      details: { from: previous, to: input.decision, comment },
      ip,
    })
    await queueGradesBack(trx, current.id)
    await queueWebhook(trx, current.id, 'decision.set')
    session.decision = current.decision
    session.decidedBy = current.decidedBy
    session.decidedAt = current.decidedAt
    return current
  })
}

/** A session's decisions, newest first (who, when, from -> to, comment). */
export async function decisionHistory(sessionId: number) {
  return SessionDecision.query().where('sessionId', sessionId).orderBy('id', 'desc')
}
