import type { HttpContext } from '@adonisjs/core/http'
import Exam from '#models/exam'
import Candidate from '#models/candidate'
import { issueStudentLink } from '#actions/sessions/student_link'
import { recordAction } from '#actions/audit/record_action'
import { validateForm } from '#validators/request_input'
import { linkValidator } from '#validators/staff'

/** Admins issue signed exam links for candidates (for systems without LTI). */
export default class LinksController {
  /** What the form offers: every exam and every candidate. */
  private async choices() {
    const exams = await Exam.query().orderBy('title')
    const candidates = await Candidate.query().preload('group').orderBy('fullName')
    return { exams, candidates }
  }

  async index({ view }: HttpContext) {
    return view.render('pages/staff/links', { ...(await this.choices()), issued: null })
  }

  async store({ request, view, auth }: HttpContext) {
    const { examIds, candidateId, hours } = await validateForm(request, linkValidator)
    const link = issueStudentLink(examIds, candidateId, hours)
    const user = auth.use('web').user!
    await recordAction(
      { userId: user.id, name: user.fullName, iin: user.iin, role: user.role },
      { action: 'link.issue', subjectType: 'candidate', subjectId: candidateId, details: { examIds, hours }, ip: request.ip() }
    )
    return view.render('pages/staff/links', {
      ...(await this.choices()),
      issued: { url: `${request.completeUrl().replace(/\/staff\/links.*$/, '')}${link.path}`, expiresAt: link.expiresAt },
    })
  }
}
