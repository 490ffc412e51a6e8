import type { HttpContext } from '@adonisjs/core/http'
import ProctoringSession, { SESSION_STATUSES } from '#models/proctoring_session'
import { validateQuery } from '#validators/request_input'
import { resultsFilterValidator } from '#validators/staff'
import { limitSessions, scopeOf } from '#services/staff_scope'

const PAGE_SIZE = 25

/** The results page (seed 003 §2): every proctoring session, newest first, with filters. */
export default class ResultsController {
  async index({ request, view, auth }: HttpContext) {
    const filters = await validateQuery(request, resultsFilterValidator)
    const q = filters.q?.trim() ?? ''
    const exam = filters.exam?.trim() ?? ''
    const status = filters.status ?? ''
    const page = filters.page ?? 1

    const query = ProctoringSession.query()
      .preload('exam')
      .preload('candidate', (candidate) => candidate.preload('group'))
      .where('archived', false)
      .orderBy('id', 'desc')
    /* A proctor limited to some exams or groups sees only those sessions. */
    limitSessions(query, await scopeOf(auth.use('web').user!))
    if (q) {
      query.whereIn('candidateId', (sub) =>
        sub
          .from('candidates')
          .leftJoin('groups', 'groups.id', 'candidates.group_id')
          .whereLike('candidates.full_name', `%${q}%`)
          .orWhereLike('groups.name', `%${q}%`)
          .orWhere('candidates.iin', q)
          .select('candidates.id')
      )
    }
    if (exam) {
      /* The exam's name in any of its languages. */
      const like = `%${exam}%`
      query.whereIn('examId', (sub) =>
        sub.from('exams').where((w) => w.whereLike('title', like).orWhereLike('title_kk', like).orWhereLike('title_ru', like).orWhereLike('title_en', like)).select('id')
      )
    }
    if ((SESSION_STATUSES as readonly string[]).includes(status)) query.where('status', status)

    const sessions = await query.paginate(page, PAGE_SIZE)
    sessions.baseUrl('/staff/results').queryString({ q, exam, status })
    /* A candidate who was granted a retake has several sittings of the exam: each is marked. */
    const candidateIds = [...new Set(sessions.all().map((s) => s.candidateId))]
    const laterSittings = candidateIds.length
      ? await ProctoringSession.query().whereIn('candidateId', candidateIds).where('sitting', '>', 1).select('examId', 'candidateId', 'sitting')
      : []
    const retaken = new Set(laterSittings.map((s) => `${s.examId}:${s.candidateId}`))
    /* The latest sitting of each candidate and exam on the page: an admin may grant a retake from it once it has ended. */
    const latestSitting = new Map<string, number>()
    for (const s of laterSittings) {
      const key = `${s.examId}:${s.candidateId}`
      latestSitting.set(key, Math.max(latestSitting.get(key) ?? 1, s.sitting))
    }
    const fragment = request.header('hx-request') && request.header('hx-target') === 'results-table'
    return view.render(fragment ? 'partials/results_table' : 'pages/staff/results', {
      sessions,
      filters: { q, exam, status },
      statuses: SESSION_STATUSES,
      retaken,
      latestSitting,
    })
  }
}
