import type { HttpContext } from '@adonisjs/core/http'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import AppError from '#exceptions/app_error'
import Exam from '#models/exam'
import LtiResourceLink from '#models/lti_resource_link'
import { appendEntry, type Actor } from '#actions/audit/record_action'
import { importRoster } from '#actions/lti/nrps_import'
import { queueGradesBack } from '#actions/lti/ags_grades'
import { idParam, validateForm } from '#validators/request_input'
import { gradesBackValidator, linkExamValidator } from '#validators/lti_services'

function actorOf(ctx: HttpContext): Actor {
  const user = ctx.auth.use('web').user!
  return { userId: user.id, name: user.fullName, iin: user.iin, role: user.role }
}

/** A stored time as the page shows it (dd.MM.yyyy HH:mm:ss); null stays null. */
function shownTime(value: unknown) {
  if (value === null || value === undefined) return null
  const time = typeof value === 'number' ? DateTime.fromMillis(value) : DateTime.fromSQL(String(value))
  return time.isValid ? time.toFormat('dd.MM.yyyy HH:mm:ss') : String(value)
}

async function findLink(ctx: HttpContext) {
  const id = idParam(ctx.params.id)
  const link = id ? await LtiResourceLink.find(id) : null
  if (!link) throw AppError.notFound('LTI_RESOURCE_LINK_NOT_FOUND')
  return link
}

/**
 * The courses LTI launches came from (admins): each activity (resource link) with its course,
 * platform and bound exam; "Import course roster" (NRPS) and "Send grades to the course"
 * (AGS, a setting of the exam); the latest grade posts with the platform's answers.
 */
export default class LtiCoursesController {
  async index(ctx: HttpContext) {
    const links = await db
      .from('lti_resource_links as l')
      .join('systems as y', 'y.id', 'l.system_id')
      .leftJoin('exams as e', 'e.id', 'l.exam_id')
      .select(
        'l.id',
        'l.context_title',
        'l.context_label',
        'l.resource_link_title',
        'l.nrps_url',
        'l.ags_lineitem_url',
        'l.ags_lineitems_url',
        'l.exam_id',
        'y.name as system_name',
        'e.title as exam_title',
        'e.lti_grades_back'
      )
      .orderBy('l.context_title')
      .orderBy('l.id')
    const posts = await db
      .from('lti_grade_posts as g')
      .join('proctoring_sessions as s', 's.id', 'g.session_id')
      .join('candidates as c', 'c.id', 's.candidate_id')
      .leftJoin('lti_resource_links as l', 'l.id', 'g.resource_link_id')
      .select('g.id', 'g.attempt', 'g.status_code', 'g.error', 'g.next_try_at', 'g.delivered_at', 'g.created_at', 'c.full_name', 's.public_id', 'l.context_title')
      .orderBy('g.id', 'desc')
      .limit(20)
    const flash = ctx.session?.flashMessages
    const exams = await Exam.query().where('archived', false).orderBy('title')
    return ctx.view.render('pages/staff/lti_courses', {
      exams,
      links: links.map((row) => ({ ...row, lti_grades_back: Boolean(row.lti_grades_back) })),
      /* Newest first: a later try of the same session's score makes an earlier "next try" moot. */
      posts: posts.map((post, index) => {
        const superseded = posts.slice(0, index).some((later) => later.public_id === post.public_id)
        return { ...post, superseded, created_at: shownTime(post.created_at), next_try_at: superseded ? null : shownTime(post.next_try_at) }
      }),
      roster: flash?.get('ltiRoster') ?? null,
      notice: flash?.get('ltiNotice') ?? null,
      errorCode: flash?.get('ltiError') ?? null,
    })
  }

  /** Imports (or updates) the course's learners as candidates. */
  async roster(ctx: HttpContext) {
    const link = await findLink(ctx)
    try {
      const result = await importRoster(link, actorOf(ctx), ctx.request.ip())
      ctx.session.flash('ltiRoster', { linkId: link.id, ...result })
    } catch (error) {
      if (!(error instanceof AppError)) throw error
      ctx.session.flash('ltiError', error.code!)
    }
    return ctx.response.redirect(`/staff/lti/courses#link-${link.id}`)
  }

  /** Switches grades back for the exam bound to the link. */
  async grades(ctx: HttpContext) {
    const link = await findLink(ctx)
    const { gradesBack } = await validateForm(ctx.request, gradesBackValidator)
    const exam = link.examId ? await Exam.find(link.examId) : null
    if (!exam) throw AppError.badRequest('LTI_EXAM_NOT_BOUND')
    const wanted = gradesBack === '1'
    if (exam.ltiGradesBack !== wanted) {
      const before = exam.ltiGradesBack
      await db.transaction(async (trx) => {
        exam.ltiGradesBack = wanted
        await exam.useTransaction(trx).save()
        await appendEntry(trx, actorOf(ctx), {
          action: 'exam.update',
          subjectType: 'exam',
          subjectId: exam.id,
          details: { title: exam.title, changes: { ltiGradesBack: [before, wanted] }, via: 'lti.courses' },
          ip: ctx.request.ip(),
        })
      })
    }
    ctx.session.flash('ltiNotice', wanted ? 'grades_on' : 'grades_off')
    return ctx.response.redirect(`/staff/lti/courses#link-${link.id}`)
  }

  /** Binds an exam to the activity (as the teacher's "Select content" would): its launches open that exam. */
  async exam(ctx: HttpContext) {
    const link = await findLink(ctx)
    const { examId } = await validateForm(ctx.request, linkExamValidator)
    const exam = await Exam.query().where({ id: examId, archived: false }).first()
    if (!exam) throw AppError.notFound('LTI_DEEP_LINK_EXAM_NOT_FOUND')
    if (link.examId !== exam.id) {
      const before = link.examId
      await db.transaction(async (trx) => {
        link.examId = exam.id
        await link.useTransaction(trx).save()
        await appendEntry(trx, actorOf(ctx), {
          action: 'lti.link_exam',
          subjectType: 'lti_resource_link',
          subjectId: link.id,
          details: { course: link.contextTitle, activity: link.resourceLinkTitle, changes: { examId: [before, exam.id] }, exam: exam.title },
          ip: ctx.request.ip(),
        })
      })
    }
    ctx.session.flash('ltiNotice', 'exam_bound')
    return ctx.response.redirect(`/staff/lti/courses#link-${link.id}`)
  }

  /** Sends a session's score again after its tries ran out (the gradebook was down, a setting was wrong). */
  async retryGrade(ctx: HttpContext) {
    const publicId = String(ctx.params.session)
    const session = /^[0-9a-f-]{36}$/i.test(publicId) ? await db.from('proctoring_sessions').where('public_id', publicId).first() : null
    const last = session ? await db.from('lti_grade_posts').where('session_id', session.id).orderBy('id', 'desc').first() : null
    /* Only a score whose last try failed for good: one delivered or still retrying is left alone. */
    if (!session || !last || last.delivered_at || last.next_try_at) throw AppError.notFound('LTI_GRADE_POST_NOT_FOUND')
    const queued = await db.transaction(async (trx) => {
      const job = await queueGradesBack(trx, session.id)
      if (job) {
        await appendEntry(trx, actorOf(ctx), {
          action: 'lti.grade_retry',
          subjectType: 'session',
          subjectId: session.public_id,
          details: { lastAttempt: last.attempt, lastError: last.error },
          ip: ctx.request.ip(),
        })
      }
      return job
    })
    if (!queued) throw AppError.notFound('LTI_GRADE_POST_NOT_FOUND')
    ctx.session.flash('ltiNotice', 'grade_retry')
    return ctx.response.redirect('/staff/lti/courses#grade-posts')
  }
}
