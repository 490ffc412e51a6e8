import type { HttpContext } from '@adonisjs/core/http'
import { admitSystemLink } from '#actions/systems/system_link'

/**
 * A signed link another system (a university portal) built for one student, README "Other
 * systems": `/x/<system id>/<payload>.<signature>`. Checked and taken once, then on into the
 * normal student flow (the student link, which the student may reload). Each refusal is the
 * translated error page with its own code.
 */
export default class SystemsLinkController {
  async open({ params, request, response }: HttpContext) {
    /* The link is a credential: keep it out of other sites' logs and out of caches. */
    response.header('Referrer-Policy', 'no-referrer')
    response.header('Cache-Control', 'no-store')
    const { link } = await admitSystemLink(params.system, params.token, request.ip())
    return response.redirect(link)
  }
}
