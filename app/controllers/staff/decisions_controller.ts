import type { HttpContext } from '@adonisjs/core/http'
import { errors as vineErrors } from '@vinejs/vine'
import ProctoringSession, { DECISIONS } from '#models/proctoring_session'
import AppError from '#exceptions/app_error'
import { staffActor } from '#actions/candidates/staff_actor'
import { decisionHistory, setDecision } from '#actions/reviews/decisions'
import { assertSessionInScope } from '#services/staff_scope'
import { validateForm } from '#validators/request_input'
import { decisionValidator, safeBack } from '#validators/decisions'

/** Who may set a decision; auditors read the history and change nothing. */
const DECIDES = ['admin', 'proctor']

type PanelState = { form?: { decision: string; comment: string }; error?: boolean; fields?: Record<string, boolean>; saved?: boolean }

/**
 * A session's decision (P2, P3): the panel the report loads (form and history), and the post
 * that sets it, from the report or from a row of the results list.
 */
export default class DecisionsController {
  private async findSession(ctx: HttpContext) {
    const session = await ProctoringSession.findBy('publicId', String(ctx.params.id))
    if (!session) throw AppError.notFound('SESSION_NOT_FOUND')
    await assertSessionInScope(ctx.auth.use('web').user!, session)
    return session
  }

  private async render(ctx: HttpContext, session: ProctoringSession, view: 'panel' | 'cell', state: PanelState = {}) {
    const user = ctx.auth.use('web').user!
    const template = view === 'cell' ? 'partials/decision_cell' : 'partials/decision_panel'
    return ctx.view.render(template, {
      session,
      cell: session,
      back: null,
      decisions: DECISIONS,
      history: view === 'panel' ? await decisionHistory(session.id) : [],
      canDecide: DECIDES.includes(user.role),
      form: state.form ?? { decision: session.decision, comment: '' },
      error: state.error ?? false,
      /* Which fields were refused (the others are kept as sent). */
      fieldErrors: state.fields ?? {},
      saved: state.saved ?? false,
    })
  }

  /** GET /staff/sessions/:id/decision: the panel (form and history) the report loads. */
  async show(ctx: HttpContext) {
    const session = await this.findSession(ctx)
    return this.render(ctx, session, 'panel')
  }

  /** POST /staff/sessions/:id/decision: sets it (archived); HTMX gets the updated fragment back. */
  async store(ctx: HttpContext) {
    const { request, response } = ctx
    const session = await this.findSession(ctx)
    const user = ctx.auth.use('web').user!
    if (!DECIDES.includes(user.role)) throw AppError.forbidden('ROLE_FORBIDDEN')
    const body = request.body()
    const view = body.view === 'cell' ? 'cell' : 'panel'
    let fields
    try {
      fields = await validateForm(request, decisionValidator)
    } catch (error) {
      /* HTMX gets the form back with its error next to the field (422), and nothing changed. */
      if (!(error instanceof vineErrors.E_VALIDATION_ERROR) || !request.header('hx-request')) throw error
      response.status(422)
      const sent = { decision: typeof body.decision === 'string' ? body.decision : session.decision, comment: typeof body.comment === 'string' ? body.comment : '' }
      const fields: Record<string, boolean> = {}
      for (const message of error.messages as { field: string }[]) fields[message.field === 'comment' ? 'comment' : 'decision'] = true
      return this.render(ctx, session, view, { form: sent, error: true, fields })
    }
    await setDecision(session, { decision: fields.decision, comment: fields.comment ?? null }, staffActor(user), request.ip())
    if (request.header('hx-request')) return this.render(ctx, session, view, { saved: true })
    if (request.accepts(['html', 'json']) === 'json') return response.ok({ decision: session.decision })
    return response.redirect(safeBack(fields.back) ?? `/staff/sessions/${session.publicId}`)
  }
}
