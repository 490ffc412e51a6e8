import type { HttpContext } from '@adonisjs/core/http'
import { errors as vineErrors } from '@vinejs/vine'
import { answerDeepLink, showChoiceAgain } from '#actions/lti/deep_linking'
import { validateForm } from '#validators/request_input'
import { deepLinkChoiceValidator } from '#validators/lti_services'

/**
 * The teacher's choice on the deep-linking page (POST /lti/deep-link/:token). No cookie of
 * ours is needed (inside the LMS's frame they are third-party): the opaque token names the
 * verified launch kept on the server, once, for 30 minutes; that is also why the route is
 * exempt from the CSRF check (config/shield.ts).
 */
export default class LtiDeepLinkingController {
  async store(ctx: HttpContext) {
    const token = String(ctx.params.token)
    /* "Go back without choosing": whatever the rest of the form says, the LMS gets no content. */
    if (ctx.request.is(['application/x-www-form-urlencoded']) && ctx.request.body().cancel === '1') {
      return answerDeepLink(ctx, token, { choice: 'none' })
    }
    let choice
    try {
      choice = await validateForm(ctx.request, deepLinkChoiceValidator)
    } catch (error) {
      if (!(error instanceof vineErrors.E_VALIDATION_ERROR)) throw error
      const fields: Record<string, boolean> = {}
      for (const message of error.messages as { field: string }[]) fields[String(message.field)] = true
      const body = ctx.request.body()
      ctx.response.status(422)
      return showChoiceAgain(
        ctx,
        token,
        {
          choice: body.choice === 'new' ? 'new' : 'existing',
          title: typeof body.title === 'string' ? body.title.slice(0, 200) : '',
          durationMinutes: typeof body.durationMinutes === 'string' ? body.durationMinutes.slice(0, 5) : 60,
          examUrl: typeof body.examUrl === 'string' ? body.examUrl.slice(0, 2000) : '',
          requiresScreen: body.requiresScreen !== undefined,
          requiresPhone: body.requiresPhone !== undefined,
          requiresFace: body.requiresFace !== undefined,
          requiresDocument: body.requiresDocument !== undefined,
        },
        fields
      )
    }
    return answerDeepLink(ctx, token, choice)
  }
}
