import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import i18nManager from '@adonisjs/i18n/services/main'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Job from '#models/job'
import System from '#models/system'
import LtiResourceLink from '#models/lti_resource_link'
import ProctoringSession from '#models/proctoring_session'
import { nextTryOf, runDueJobs, settleJob } from '#services/queue'
import { sqlTime } from '#services/sql_time'
import AppError from '#exceptions/app_error'
import { SERVICE_SCOPES, forgetServiceTokens, serviceToken } from '#services/lti/service_token'

/*
| Grades back (LTI Assignment and Grade Services 2.0), on for an exam by its "send grades to the
| course" setting. When a decision is set, an `lti_grade` job is queued in the decision's own
| transaction for the session, when its exam sends grades and its candidate came from an LTI
| platform whose resource link for that exam has a line item. The web app's scheduler runs these
| jobs (start/scheduler.ts, like the webhooks; analysis workers lease only their own types): each
| attempt reads the session as it is then, gets the service token (client credentials, signed
| assertion) and POSTs a score to the line item's /scores: scoreGiven = credibility (of 100), a
| comment with the credibility and the decision in words, Completed, FullyGraded (PendingManual
| for a second review). Failures are tried again after base x 2^(attempt-1); every attempt is
| kept in lti_grade_posts and shown on the LTI courses page.
*/

export const GRADE_JOB = 'lti_grade'
const SCORE_TYPE = 'application/vnd.ims.lis.v1.score+json'
const settings = { retryBaseMs: 30_000, maxAttempts: 8, timeoutMs: 10_000 }

/** The resource link whose gradebook gets the session's score, if any. */
async function linkFor(client: TransactionClientContract | typeof db, sessionId: number) {
  const row = await client
    .from('proctoring_sessions as s')
    .join('exams as e', 'e.id', 's.exam_id')
    .join('candidates as c', 'c.id', 's.candidate_id')
    .join('lti_resource_links as l', (join) => {
      join.on('l.exam_id', '=', 's.exam_id').andOn('l.system_id', '=', 'c.system_id')
    })
    .where('s.id', sessionId)
    .where('e.lti_grades_back', true)
    .whereNotNull('c.external_id')
    .where((q) => q.whereNotNull('l.ags_lineitem_url').orWhereNotNull('l.ags_lineitems_url'))
    .orderBy('l.updated_at', 'desc')
    .orderBy('l.id', 'desc')
    .select('l.id as link_id')
    .first()
  return row ? Number(row.link_id) : null
}

/** Queues the session's score for its course gradebook, in the caller's transaction (nothing when not sent back). */
export async function queueGradesBack(trx: TransactionClientContract, sessionId: number) {
  const linkId = await linkFor(trx, sessionId)
  if (!linkId) return null
  /* One still waiting will read the session as it is when it runs: it carries this decision too. */
  const waiting = await Job.query({ client: trx }).where({ uniqueKey: `${GRADE_JOB}:${sessionId}`, status: 'queued' }).first()
  if (waiting) return waiting
  return Job.create(
    {
      type: GRADE_JOB,
      payload: { sessionId, resourceLinkId: linkId },
      uniqueKey: `${GRADE_JOB}:${sessionId}`,
      status: 'queued',
      attempts: 0,
      maxAttempts: settings.maxAttempts,
      runAt: Date.now(),
      progress: 0,
    },
    { client: trx }
  )
}

/** The score of a session as the gradebook gets it. */
export function scoreOf(session: ProctoringSession, userId: string, language = i18nManager.defaultLocale) {
  const i18n = i18nManager.locale(language)
  const credibility = session.credibility === null || session.credibility === undefined ? null : Math.round(session.credibility)
  const decision = i18n.t(`messages.decisions.${session.decision}`)
  const comment =
    credibility === null
      ? i18n.t('messages.lti_services.grade_comment_no_score', { decision })
      : i18n.t('messages.lti_services.grade_comment', { credibility, decision })
  return {
    userId,
    ...(credibility === null ? {} : { scoreGiven: credibility, scoreMaximum: 100 }),
    comment,
    activityProgress: 'Completed',
    gradingProgress: session.decision === 'review' || session.decision === 'none' ? 'PendingManual' : 'FullyGraded',
    timestamp: (session.decidedAt ?? DateTime.now()).toUTC().toISO(),
  }
}

/** The line item's scores URL: `/scores` after its path, its query kept. */
export function scoresUrl(lineitem: string) {
  const url = new URL(lineitem)
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/scores`
  return url.toString()
}

/** The line item to post to: the link's own, else the first of its line items for the resource link. */
async function lineitemOf(system: System, link: LtiResourceLink, timeoutMs: number) {
  if (link.agsLineitemUrl) return link.agsLineitemUrl
  if (!link.agsLineitemsUrl) throw AppError.badRequest('LTI_GRADES_UNAVAILABLE')
  const token = await serviceToken(system, [SERVICE_SCOPES.lineitemRead, SERVICE_SCOPES.score])
  const url = new URL(link.agsLineitemsUrl)
  url.searchParams.set('resource_link_id', link.resourceLinkId)
  const response = await fetch(url, {
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
    headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.ims.lis.v2.lineitemcontainer+json' },
  })
  const items = response.ok ? ((await response.json().catch(() => null)) as { id?: string }[] | null) : null
  const id = Array.isArray(items) ? items.find((item) => typeof item?.id === 'string')?.id : undefined
  if (!id) throw AppError.badRequest('LTI_GRADES_UNAVAILABLE')
  return id
}

type Outcome = { statusCode?: number; error?: string; final?: boolean; lineitem?: string | null; score?: unknown }

async function post(payload: { sessionId: number; resourceLinkId: number }, timeoutMs: number): Promise<Outcome> {
  const link = await LtiResourceLink.find(payload.resourceLinkId)
  const session = await ProctoringSession.query().where('id', payload.sessionId).preload('candidate').first()
  const system = link ? await System.find(link.systemId) : null
  if (!link || !session || !system || !system.active || !session.candidate?.externalId) {
    return { error: 'LTI_GRADES_UNAVAILABLE', final: true }
  }
  const score = scoreOf(session, session.candidate.externalId)
  let lineitem: string | null = null
  try {
    lineitem = await lineitemOf(system, link, timeoutMs)
    const scopes = link.agsLineitemUrl ? [SERVICE_SCOPES.score] : [SERVICE_SCOPES.lineitemRead, SERVICE_SCOPES.score]
    const token = await serviceToken(system, scopes)
    const response = await fetch(scoresUrl(lineitem), {
      method: 'POST',
      body: JSON.stringify(score),
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
      headers: { 'authorization': `Bearer ${token}`, 'content-type': SCORE_TYPE },
    })
    await response.body?.cancel().catch(() => {})
    /* A refused token is not kept: the next attempt asks for a new one. */
    if (response.status === 401) forgetServiceTokens(system.id)
    return { statusCode: response.status, lineitem, score }
  } catch (error: any) {
    const reason = error instanceof AppError ? error.code! : error?.name === 'TimeoutError' ? 'timeout' : String(error?.cause?.code ?? error?.message ?? error)
    return { error: reason.slice(0, 500), lineitem, score, final: reason === 'LTI_GRADES_UNAVAILABLE' }
  }
}

async function deliver(job: Job, options: typeof settings) {
  const payload = job.payload as { sessionId: number; resourceLinkId: number }
  const result = await post(payload, options.timeoutMs)
  const now = DateTime.now()
  const delivered = result.statusCode !== undefined && result.statusCode >= 200 && result.statusCode < 300
  const nextTry = nextTryOf(job, options.retryBaseMs, { done: delivered, final: !!result.final })
  const error = result.error ?? (delivered ? null : `HTTP ${result.statusCode}`)
  await db.transaction(async (trx) => {
    const link = await trx.from('lti_resource_links').where('id', payload.resourceLinkId).first()
    const session = await trx.from('proctoring_sessions').where('id', payload.sessionId).first()
    if (session) {
      await trx.table('lti_grade_posts').insert({
        session_id: payload.sessionId,
        resource_link_id: link ? payload.resourceLinkId : null,
        attempt: job.attempts,
        lineitem_url: result.lineitem ?? null,
        score: result.score ? JSON.stringify(result.score) : null,
        status_code: result.statusCode ?? null,
        error: delivered ? null : error,
        next_try_at: nextTry ? sqlTime(nextTry) : null,
        delivered_at: delivered ? sqlTime(now) : null,
        created_at: sqlTime(now),
      })
    }
    await settleJob(trx, job, { done: delivered, nextTry, error })
  })
  if (!delivered) logger.warn({ session: payload.sessionId, attempt: job.attempts, error }, 'LTI grade not posted')
  return delivered
}

/** Posts every grade that is due now, one after another. Run by the scheduler every few seconds. */
export async function deliverDueGrades(overrides: Partial<typeof settings> = {}) {
  const options = { ...settings, ...overrides }
  return runDueJobs(GRADE_JOB, options.timeoutMs * 3 + 30_000, (job) => deliver(job, options))
}
