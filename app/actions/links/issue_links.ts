import { randomBytes } from 'node:crypto'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import Exam from '#models/exam'
import Candidate from '#models/candidate'
import IssuedLink from '#models/issued_link'
import AppError from '#exceptions/app_error'
import { appendEntry, type Actor } from '#actions/audit/record_action'
import { issuedLinkUrl } from '#actions/links/link_url'

export type IssueInput = { examIds: number[]; candidateIds: number[]; hours?: number }

/**
 * Issues one entry link per candidate for the given exams (the student chooses when there are
 * several), stores them, and archives the issue in the same transaction. Unknown or archived
 * exams and unknown candidates are refused before anything is written.
 */
export async function issueLinks(input: IssueInput, actor: Actor, ip?: string) {
  const examIds = [...new Set(input.examIds)]
  const candidateIds = [...new Set(input.candidateIds)]
  if (examIds.length === 0) throw AppError.notFound('EXAM_NOT_FOUND')
  if (candidateIds.length === 0) throw AppError.badRequest('LINK_NO_CANDIDATES')
  const exams = await Exam.query().whereIn('id', examIds).select('id', 'archived')
  if (exams.length !== examIds.length) {
    throw AppError.notFound('EXAM_NOT_FOUND', { ids: examIds.filter((id) => !exams.some((e) => e.id === id)).join(', ') })
  }
  /* The form offers only current exams; a crafted request or the command line gets the same answer. */
  const archived = exams.filter((exam) => exam.archived)
  if (archived.length) throw AppError.conflict('EXAM_ARCHIVED', { ids: archived.map((exam) => exam.id).join(', ') })
  const candidates = await Candidate.query().whereIn('id', candidateIds).select('id')
  if (candidates.length !== candidateIds.length) {
    const missing = candidateIds.filter((id) => !candidates.some((c) => c.id === id))
    throw AppError.notFound('CANDIDATE_NOT_FOUND', { ids: missing.join(', ') })
  }
  const hours = input.hours ?? env.get('STUDENT_LINK_TTL_HOURS', 72)
  const expiresAt = DateTime.fromSeconds(Math.floor(DateTime.now().plus({ hours }).toSeconds()))

  const links = await db.transaction(async (trx) => {
    const rows = await IssuedLink.createMany(
      candidateIds.map((candidateId) => ({
        nonce: randomBytes(16).toString('base64url').slice(0, 22),
        examId: examIds[0],
        examIds,
        candidateId,
        expiresAt,
        issuedBy: actor.userId,
      })),
      { client: trx }
    )
    await appendEntry(trx, actor, {
      action: 'link.issue',
      subjectType: 'exam',
      subjectId: examIds[0],
      details: { examIds, candidateIds, hours, linkIds: rows.map((row) => row.id) },
      ip,
    })
    return rows
  })
  return links.map((link) => ({ link, url: issuedLinkUrl(link) }))
}
