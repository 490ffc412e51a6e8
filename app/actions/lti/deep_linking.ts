import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { HttpContext } from '@adonisjs/core/http'
import db from '@adonisjs/lucid/services/db'
import i18nManager from '@adonisjs/i18n/services/main'
import { sqlTime } from '#services/sql_time'
import AppError from '#exceptions/app_error'
import Exam from '#models/exam'
import System from '#models/system'
import { appendEntry, type Actor } from '#actions/audit/record_action'
import { urlClaim } from '#actions/lti/resource_link'
import { CLAIM, launchLocale, launchRole, objectClaim, text } from '#services/lti/claims'
import { signAsTool } from '#services/lti/tool_keys'
import { toolUrls, type LtiLaunch } from '#services/lti/launch'
import { frameableOrigin, contentSecurityPolicy } from '#services/security_headers'

/*
| Deep Linking 2.0: a teacher adds a proctored exam to a course from the LMS's activity chooser
| ("Select content"). The verified launch is kept on the server for a while under an opaque id
| (its sha256 stored): the choice page's form carries that id instead of relying on our cookies,
| which are third-party inside the LMS's frame. The teacher picks an exam or makes one (title,
| minutes); the tool answers with an auto-submitting form POSTing a deep-linking response JWT it
| signs (RS256, its published key): iss = client id, aud = the platform, the deployment, the
| request's `data` echoed, and one ltiResourceLink with the exam's title and custom
| `{ exam: "<id>" }`, which later launches bind to the resource link.
*/

const MINUTES = 30
const DL = 'https://purl.imsglobal.org/spec/lti-dl/claim/'

/** The page in the language the LMS asked for. */
function useLocale(ctx: HttpContext, locale: string | null) {
  if (!locale) return
  ctx.i18n = i18nManager.locale(locale)
  ctx.view.share({ i18n: ctx.i18n, locale })
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex')

/** The page may be framed by the platform (Moodle shows "Select content" in a frame) and post to it. */
export function allowPlatform(ctx: HttpContext, options: { frameAncestor?: string | null; formAction?: string | null }) {
  const ancestor = frameableOrigin(options.frameAncestor)
  const action = frameableOrigin(options.formAction)
  let policy = contentSecurityPolicy()
  if (ancestor) {
    policy = policy.replace("frame-ancestors 'none'", `frame-ancestors ${ancestor}`)
    ctx.response.removeHeader('X-Frame-Options')
  }
  if (action) policy = policy.replace("form-action 'self'", `form-action 'self' ${action}`)
  ctx.response.header('Content-Security-Policy', policy)
}

/** The teacher's name as the LMS gives it, for the archive. */
function teacherOf(system: System, claims: Record<string, any>): Actor {
  const name = text(claims.name, 200) ?? ([text(claims.given_name), text(claims.family_name)].filter(Boolean).join(' ') || null)
  return { userId: null, name: `${name ?? text(claims.sub) ?? '?'} (${system.name})`, role: 'lti_instructor' }
}

type Stored = { id: number; system: System; deploymentId: string; claims: Record<string, any> }

async function choicePage(ctx: HttpContext, request: Stored, token: string, extra: { form?: Record<string, unknown>; errors?: Record<string, boolean> } = {}) {
  const exams = await Exam.query().where('archived', false).orderBy('title')
  const settings = objectClaim(request.claims[DL + 'deep_linking_settings'])
  allowPlatform(ctx, { frameAncestor: request.system.issuer })
  const context = objectClaim(request.claims[CLAIM.context])
  return ctx.view.render('pages/lti/deep_link', {
    token,
    exams,
    courseTitle: text(context.title) ?? text(context.label),
    platformTitle: text(settings.title),
    form: {
      choice: exams.length ? 'existing' : 'new',
      examId: null,
      title: '',
      durationMinutes: 60,
      examUrl: '',
      requiresScreen: true,
      requiresPhone: false,
      requiresFace: true,
      requiresDocument: true,
      ...extra.form,
    },
    fieldErrors: extra.errors ?? {},
  })
}

/**
 * The deep-linking launch (dispatched by the launch controller on LtiDeepLinkingRequest): only
 * a course's instructors may add content; the request is kept and the choice page shown.
 */
export async function deepLinkingLaunch(ctx: HttpContext, launch: LtiLaunch) {
  const { system, deploymentId, claims } = launch
  if (launchRole(claims[CLAIM.roles]) !== 'instructor') throw AppError.forbidden('LTI_ROLE_UNSUPPORTED')
  const settings = objectClaim(claims[CLAIM.deepLinkingSettings])
  if (!urlClaim(settings.deep_link_return_url)) throw AppError.badRequest('LTI_CLAIM_MISSING', { claim: 'deep_link_return_url' })
  /* The one kind of content the tool gives is an LTI resource link: the platform must take it. */
  if (Array.isArray(settings.accept_types) && !settings.accept_types.includes('ltiResourceLink')) {
    throw AppError.badRequest('LTI_DEEP_LINK_TYPE_UNSUPPORTED')
  }
  useLocale(ctx, launchLocale(claims))
  const token = randomBytes(32).toString('base64url')
  const now = Date.now()
  await db.from('lti_deep_link_requests').where('expires_at', '<', now - 24 * 3_600_000).delete()
  const [id] = await db.table('lti_deep_link_requests').insert({
    token_hash: hash(token),
    system_id: system.id,
    deployment_id: deploymentId,
    claims: JSON.stringify(claims),
    expires_at: now + MINUTES * 60_000,
    created_at: sqlTime(),
  })
  return choicePage(ctx, { id: Number(id), system, deploymentId, claims }, token)
}

/** The kept request behind an opaque id: unused, unexpired, its platform still active. */
export async function deepLinkRequest(token: unknown): Promise<Stored> {
  if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{20,100}$/.test(token)) throw AppError.badRequest('LTI_DEEP_LINK_EXPIRED')
  const row = await db.from('lti_deep_link_requests').where('token_hash', hash(token)).first()
  if (!row || row.used_at || Number(row.expires_at) < Date.now()) throw AppError.badRequest('LTI_DEEP_LINK_EXPIRED')
  const system = await System.find(row.system_id)
  if (!system || !system.active || system.kind !== 'lti') throw AppError.badRequest('LTI_DEEP_LINK_EXPIRED')
  return { id: Number(row.id), system, deploymentId: row.deployment_id, claims: JSON.parse(row.claims) }
}

export async function showChoiceAgain(ctx: HttpContext, token: string, form: Record<string, unknown>, errors: Record<string, boolean>) {
  const request = await deepLinkRequest(token)
  useLocale(ctx, launchLocale(request.claims))
  return choicePage(ctx, request, token, { form, errors })
}

export type DeepLinkChoice = {
  choice: 'existing' | 'new' | 'none'
  examId?: number
  title?: string
  durationMinutes?: number
  examUrl?: string | null
  requiresScreen?: boolean
  requiresPhone?: boolean
  requiresFace?: boolean
  requiresDocument?: boolean
}

/** The teacher went back without choosing: the LMS gets a signed answer with no content. */
async function answerNothing(ctx: HttpContext, request: Stored, returnUrl: string, data: string | undefined) {
  const taken = await db.from('lti_deep_link_requests').where('id', request.id).whereNull('used_at').update({ used_at: Date.now() })
  if (Number(Array.isArray(taken) ? taken[0] : taken) !== 1) throw AppError.badRequest('LTI_DEEP_LINK_EXPIRED')
  const jwt = await signAsTool(
    {
      iss: request.system.clientId!,
      nonce: randomUUID(),
      [CLAIM.deploymentId]: request.deploymentId,
      [CLAIM.messageType]: 'LtiDeepLinkingResponse',
      [CLAIM.version]: '1.3.0',
      [DL + 'content_items']: [],
      [DL + 'msg']: ctx.i18n.t('messages.lti_services.deep_link_cancelled'),
      ...(data === undefined ? {} : { [DL + 'data']: data }),
    },
    { audience: request.system.issuer!, expiresIn: '10m', typ: 'JWT' }
  )
  allowPlatform(ctx, { frameAncestor: request.system.issuer, formAction: returnUrl })
  return ctx.view.render('pages/lti/deep_link_return', { returnUrl, jwt, title: ctx.i18n.t('messages.lti_services.deep_link_cancelled') })
}

/**
 * The teacher's choice: the exam (chosen, or made now and archived), the request used up, the
 * signed response, and the page that posts it back to the LMS.
 */
export async function answerDeepLink(ctx: HttpContext, token: string, choice: DeepLinkChoice) {
  const request = await deepLinkRequest(token)
  const { system, claims } = request
  const locale = launchLocale(claims) ?? ctx.i18n.locale
  useLocale(ctx, launchLocale(claims))
  const settings = objectClaim(claims[CLAIM.deepLinkingSettings])
  const returnUrl = urlClaim(settings.deep_link_return_url)!
  const data = typeof settings.data === 'string' ? settings.data : undefined
  if (choice.choice === 'none') return answerNothing(ctx, request, returnUrl, data)
  const actor = teacherOf(system, claims)
  const ip = ctx.request.ip()

  const exam = await db.transaction(async (trx) => {
    const taken = await trx.from('lti_deep_link_requests').where('id', request.id).whereNull('used_at').update({ used_at: Date.now() })
    if (Number(Array.isArray(taken) ? taken[0] : taken) !== 1) throw AppError.badRequest('LTI_DEEP_LINK_EXPIRED')
    let chosen: Exam | null
    if (choice.choice === 'existing') {
      chosen = await Exam.query({ client: trx }).where({ id: choice.examId!, archived: false }).first()
      if (!chosen) throw AppError.notFound('LTI_DEEP_LINK_EXAM_NOT_FOUND')
    } else {
      const title = choice.title!.trim()
      chosen = await Exam.create(
        {
          title,
          titleKk: locale === 'kk' ? title : null,
          titleRu: locale === 'ru' ? title : null,
          titleEn: locale === 'en' ? title : null,
          durationMinutes: choice.durationMinutes!,
          examUrl: choice.examUrl || null,
          violationLimit: 0,
          passThreshold: 70,
          reconnectWindowSeconds: 300,
          requiresScreen: Boolean(choice.requiresScreen),
          requiresPhone: Boolean(choice.requiresPhone),
          requiresFace: Boolean(choice.requiresFace),
          requiresDocument: Boolean(choice.requiresDocument),
          weights: {},
          rules: { allowed: [], forbidden: [] },
          archived: false,
        },
        { client: trx }
      )
      await appendEntry(trx, actor, {
        action: 'exam.create',
        subjectType: 'exam',
        subjectId: chosen.id,
        details: {
          title,
          changes: {
            title: [null, title],
            durationMinutes: [null, choice.durationMinutes],
            examUrl: [null, chosen.examUrl],
            requiresScreen: [null, chosen.requiresScreen],
            requiresPhone: [null, chosen.requiresPhone],
            requiresFace: [null, chosen.requiresFace],
            requiresDocument: [null, chosen.requiresDocument],
          },
          via: 'lti.deep_link',
        },
        ip,
      })
    }
    await appendEntry(trx, actor, {
      action: 'lti.deep_link',
      subjectType: 'exam',
      subjectId: chosen.id,
      details: {
        system: system.id,
        deploymentId: request.deploymentId,
        course: text(objectClaim(claims[CLAIM.context]).title),
        lmsUserId: text(claims.sub),
        exam: chosen.id,
        created: choice.choice === 'new',
      },
      ip,
    })
    return chosen
  })

  const title = exam.titleIn(locale)
  const item = {
    type: 'ltiResourceLink',
    title,
    url: toolUrls().launch,
    custom: { exam: String(exam.id) },
    /* A new window: screen sharing is not allowed inside the LMS's frame. */
    window: { targetName: '_blank' },
    /* A gradebook column for the activity (scores are sent back when the exam's "send grades" is on). */
    lineItem: { scoreMaximum: 100, label: title, resourceId: `exam-${exam.id}` },
  }
  const jwt = await signAsTool(
    {
      iss: system.clientId!,
      nonce: randomUUID(),
      [CLAIM.deploymentId]: request.deploymentId,
      [CLAIM.messageType]: 'LtiDeepLinkingResponse',
      [CLAIM.version]: '1.3.0',
      [DL + 'content_items']: [item],
      ...(data === undefined ? {} : { [DL + 'data']: data }),
    },
    { audience: system.issuer!, expiresIn: '10m', typ: 'JWT' }
  )
  allowPlatform(ctx, { frameAncestor: system.issuer, formAction: returnUrl })
  return ctx.view.render('pages/lti/deep_link_return', { returnUrl, jwt, title })
}
