import IssuedLink from '#models/issued_link'
import ProctoringSession from '#models/proctoring_session'
import { issuedLinkUrl } from '#actions/links/link_url'

export type LinkRow = Awaited<ReturnType<typeof listLinks>>[number]

/** At most this many links on the page and in a download (newest first). */
export const LINK_LIST_LIMIT = 2000

/**
 * The issued links, newest first, each with its address and the candidate's current session
 * in its exam (status and sitting), optionally for one exam only.
 */
export async function listLinks(filter: { examId?: number | null } = {}) {
  const query = IssuedLink.query().preload('exam').preload('candidate', (c) => c.preload('group'))
  if (filter.examId) query.where('examId', filter.examId)
  const links = await query.orderBy('id', 'desc').limit(LINK_LIST_LIMIT)
  const candidateIds = [...new Set(links.map((link) => link.candidateId))]
  const sessions = candidateIds.length
    ? await ProctoringSession.query().whereIn('candidateId', candidateIds).orderBy('id', 'asc')
    : []
  const current = new Map<string, ProctoringSession>()
  for (const session of sessions) current.set(`${session.examId}:${session.candidateId}`, session)
  return links.map((link) => ({
    link,
    url: issuedLinkUrl(link),
    session: current.get(`${link.examId}:${link.candidateId}`) ?? null,
  }))
}
