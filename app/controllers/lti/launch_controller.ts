import { randomBytes } from 'node:crypto'
import type { HttpContext } from '@adonisjs/core/http'
import i18nManager from '@adonisjs/i18n/services/main'
import { decodeJwt } from 'jose'
import AppError from '#exceptions/app_error'
import { recordAction } from '#actions/audit/record_action'
import { publicJwks } from '#services/lti/tool_keys'
import { BROWSER_COOKIE, appUrl, findPlatform, initiateLogin, sweepLaunchRecords, verifyLaunch, type LtiLaunch } from '#services/lti/launch'
import { CLAIM, launchLocale, launchRole, text } from '#services/lti/claims'
import { contentSecurityPolicy, frameableOrigin } from '#services/security_headers'
import { upsertResourceLink } from '#actions/lti/resource_link'
import { learnerLaunch } from '#actions/lti/learner_launch'
import { chooseExam, choiceFor, instructorLaunch, takeTicket } from '#actions/lti/instructor_launch'
import { deepLinkingLaunch } from '#actions/lti/deep_linking'

/**
 * The browser cookie that binds a login state to the browser. Over https it is
 * SameSite=None; Secure, so that it also comes back on the platform's cross-site form post;
 * over plain http browsers drop SameSite=None without Secure, so it is Lax there and
 * does not come back on that post. Where it does not come back (http, or a browser that
 * blocks third-party cookies inside the LMS's frame), the state row alone binds: it is
 * random, single use, for one platform and one nonce, and lives 10 minutes.
 */
function cookieOptions() {
  const https = appUrl().startsWith('https://')
  return { httpOnly: true, sameSite: (https ? 'none' : 'lax') as 'none' | 'lax', secure: https, maxAge: '10m', path: '/lti' }
}

/** The launch pages may be shown inside the platform's frame (its origin only). */
function allowFramingBy(response: HttpContext['response'], issuer: string | null | undefined) {
  const origin = frameableOrigin(issuer)
  if (!origin) return
  response.removeHeader('X-Frame-Options')
  response.header('Content-Security-Policy', contentSecurityPolicy().replace("frame-ancestors 'none'", `frame-ancestors ${origin}`))
}

/** The page language the platform's claims ask for (also for a refusal: a hint only, the token may be forged). */
function useLocale(ctx: HttpContext, claims: Record<string, any> | null) {
  const locale = claims ? launchLocale(claims) : null
  if (!locale) return
  ctx.i18n = i18nManager.locale(locale)
  ctx.view.share({ i18n: ctx.i18n, locale })
}

function unverifiedClaims(token: unknown): Record<string, any> | null {
  if (typeof token !== 'string' || token.length > 100_000) return null
  try {
    return decodeJwt(token) as Record<string, any>
  } catch {
    return null
  }
}

let launches = 0

export default class LtiLaunchController {
  /** The tool's public key set (old and new keys until retired). */
  async jwks({ response }: HttpContext) {
    response.header('Cache-Control', 'public, max-age=300')
    return response.json(await publicJwks())
  }

  /** OIDC third-party login initiation (GET or Moodle's POST form). */
  async login(ctx: HttpContext) {
    const { request, response } = ctx
    const input = request.all()
    let browser = request.cookie(BROWSER_COOKIE)
    if (typeof browser !== 'string' || !/^[A-Za-z0-9_-]{20,64}$/.test(browser)) browser = randomBytes(24).toString('base64url')
    const { url } = await initiateLogin(input, browser)
    response.cookie(BROWSER_COOKIE, browser, cookieOptions())
    return response.redirect(url)
  }

  /** The launch: the platform's form post of id_token and state. */
  async launch(ctx: HttpContext) {
    const { request, response } = ctx
    const idToken = request.input('id_token')
    const hint = unverifiedClaims(idToken)
    useLocale(ctx, hint)
    const platforms = hint && typeof hint.iss === 'string' ? await findPlatform(hint.iss) : []
    if (platforms.length) allowFramingBy(response, hint!.iss)
    if (++launches % 50 === 1) await sweepLaunchRecords()

    const browser = request.cookie(BROWSER_COOKIE)
    let verified: LtiLaunch
    try {
      verified = await verifyLaunch(idToken, request.input('state'), typeof browser === 'string' ? browser : null)
    } catch (error) {
      /* A refused launch that names a registered platform is archived (what it claimed: unverified). */
      if (error instanceof AppError && platforms.length) {
        await recordAction(
          { userId: null, name: platforms[0].name, role: 'system' },
          {
            action: 'lti.launch_refused',
            subjectType: 'system',
            subjectId: platforms[0].id,
            details: { code: error.code, sub: text(hint!.sub), deploymentId: text(hint![CLAIM.deploymentId]), messageType: text(hint![CLAIM.messageType]) },
            ip: request.ip(),
          }
        )
      }
      throw error
    }
    useLocale(ctx, verified.claims)
    const messageType = text(verified.claims[CLAIM.messageType])
    if (messageType === 'LtiResourceLinkRequest') return this.resourceLinkLaunch(ctx, verified)
    if (messageType === 'LtiDeepLinkingRequest') return deepLinkingLaunch(ctx, verified)
    throw AppError.badRequest('LTI_MESSAGE_TYPE_UNSUPPORTED')
  }

  private async resourceLinkLaunch(ctx: HttpContext, launch: LtiLaunch) {
    const { request, view } = ctx
    const link = await upsertResourceLink(launch)
    launch.resourceLink = link
    const role = launchRole(launch.claims[CLAIM.roles])
    if (role === 'learner') {
      const { exam, path } = await learnerLaunch(launch, link, request.ip())
      return view.render('pages/lti/open', { kind: 'learner', url: path, exam, courseTitle: link.contextTitle })
    }
    if (role === 'instructor') {
      const { ticket, purpose } = await instructorLaunch(launch, link, request.ip())
      if (purpose === 'choose') return view.render('pages/lti/open', { kind: 'choose', url: `/staff/lti/choose/${ticket}`, exam: null, courseTitle: link.contextTitle })
      return view.render('pages/lti/open', { kind: 'instructor', url: `/staff/lti/enter/${ticket}`, exam: null, courseTitle: link.contextTitle })
    }
    throw AppError.forbidden('LTI_ROLE_UNSUPPORTED')
  }

  /** An activity with no exam yet: the teacher chooses one (or the course's results), top-level. */
  async showChoice({ params, view, response }: HttpContext, failed: string | null = null) {
    const { link, exams, courseExamIds } = await choiceFor(String(params.ticket))
    if (failed) response.status(422)
    return view.render('pages/lti/choose', { ticket: String(params.ticket), link, exams, hasCourseExams: courseExamIds.length > 0, failed })
  }

  async storeChoice(ctx: HttpContext) {
    const { params, request, response, auth } = ctx
    const { _csrf, ...body } = request.body()
    const toResults = body.results === '1' && Object.keys(body).length === 1
    const examId = typeof body.exam === 'string' && /^[1-9]\d{0,8}$/.test(body.exam) && Object.keys(body).length === 1 ? Number(body.exam) : null
    if (!toResults && examId === null) return this.showChoice(ctx, 'EXAM_CHOICE_REQUIRED')
    const { user } = await chooseExam(String(params.ticket), { examId }, request.ip())
    await auth.use('web').login(user)
    return response.redirect('/staff/results')
  }

  /** An instructor launch's one-time ticket, opened top-level: signs the browser in as that staff account. */
  async enter({ params, request, response, auth }: HttpContext) {
    const { user, redirectTo } = await takeTicket(String(params.ticket), request.ip())
    await auth.use('web').login(user)
    return response.redirect(redirectTo.startsWith('/staff') ? redirectTo : '/staff/results')
  }
}
