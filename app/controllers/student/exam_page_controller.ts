import type { HttpContext } from '@adonisjs/core/http'
import env from '#start/env'
import AppError from '#exceptions/app_error'
import ProctoringSession from '#models/proctoring_session'
import Exam from '#models/exam'
import { readStudentLink } from '#actions/sessions/student_link'
import { examChoices, openSession } from '#actions/sessions/open_session'
import { admitIssuedLink } from '#actions/links/admit_link'
import { identityState } from '#actions/sessions/identity'
import { BROWSER_EVENTS } from '#actions/sessions/record_event'
import { phoneToken, sessionToken, verifyPhoneToken } from '#services/signing'
import { maxChunkBytes } from '#actions/recordings/store_chunk'
import { qrSvg } from '#services/qr'
import { contentSecurityPolicy, frameableOrigin } from '#services/security_headers'
import type { I18n } from '@adonisjs/i18n'

/** Which fix each check item can show (S2, seeds 001 FAQ and 004 table). */
const CHECK_ERRORS: Record<string, string[]> = {
  browser: ['BROWSER_UNSUPPORTED'],
  camera: ['CAMERA_DENIED', 'CAMERA_NOT_FOUND', 'CAMERA_BUSY'],
  microphone: ['MIC_DENIED', 'MIC_NOT_FOUND'],
  screen: ['SCREEN_DENIED', 'SCREEN_NOT_ENTIRE'],
  upload_speed: ['UPLOAD_SLOW', 'UPLOAD_FAILED'],
  single_monitor: ['SECOND_MONITOR'],
}

const DEFAULT_RULES = { allowed: [] as string[], forbidden: ['phone', 'books', 'notes', 'other_people', 'headphones', 'leaving'] }

/** The strings the page's script shows, in the page's language. */
const JS_TEXT_KEYS = [
  'checking', 'passed', 'failed', 'mbps', 'upload_pending', 'upload_done', 'upload_retrying', 'finish_confirm',
  'banner_fullscreen', 'banner_screen', 'banner_offline', 'phone_connected', 'phone_lost', 'phone_waiting',
  'stopped_count', 'time_up', 'photo_failed', 'photo_checking', 'camera_off', 'continue_exam', 'start',
]

function jsText(i18n: I18n) {
  const text: Record<string, string> = {}
  for (const key of JS_TEXT_KEYS) text[key] = i18n.t(`messages.student_js.${key}`, { count: '{count}', limit: '{limit}', mbps: '{mbps}' })
  return text
}

function noStore(response: HttpContext['response']) {
  /* The link is a credential: keep it out of other sites' logs and out of caches. */
  response.header('Referrer-Policy', 'no-referrer')
  response.header('Cache-Control', 'no-store')
}

function originOf(url: string | null) {
  try {
    return url ? new URL(url).origin : null
  } catch {
    return null
  }
}

/** The pages a signed student link opens: the choice of exams (S5), then the exam page (S2-S10). */
export default class ExamPageController {
  async show({ params, request, view, response, i18n }: HttpContext) {
    const claims = readStudentLink(params.link)
    await admitIssuedLink(claims)
    noStore(response)
    const linkPath = `/s/${params.link}`
    const chosen = Number(request.input('exam'))
    if (claims.examIds.length > 1 && !claims.examIds.includes(chosen)) {
      const choices = await examChoices(claims.examIds, claims.candidateId)
      if (choices.length === 0) throw AppError.notFound('EXAM_NOT_FOUND')
      return view.render('pages/student/choose', { choices, linkPath })
    }
    const { session, exam, candidate } = await openSession(
      claims.examIds.length > 1 ? chosen : claims.examIds[0],
      claims.candidateId
    )
    const phoneUrl = `${env.get('APP_URL')}/p/${session.publicId}/${phoneToken(session.publicId)}`
    const rules = exam.rules.allowed.length || exam.rules.forbidden.length ? exam.rules : DEFAULT_RULES
    /* The page shows the exam's own quiz (the LMS) in an iframe: that origin, and no other. */
    /* An LTI launch may name the quiz for this session (custom parameter quiz_url); else the exam's. */
    const quizUrl = session.quizUrl ?? exam.examUrl
    const quizOrigin = frameableOrigin(quizUrl)
    response.header('Content-Security-Policy', contentSecurityPolicy({ frameSrc: quizOrigin ? [quizOrigin] : [] }))
    return view.render('pages/student/exam', {
      session,
      exam,
      candidate,
      rules,
      countedKinds: BROWSER_EVENTS.filter((kind) => exam.counts(kind)),
      everyKindCounted: BROWSER_EVENTS.every((kind) => exam.counts(kind)),
      identitySteps: (['face', 'document', 'screen', 'phone'] as const).filter(
        (step) => ({ face: exam.requiresFace, document: exam.requiresDocument, screen: exam.requiresScreen, phone: exam.requiresPhone })[step]
      ),
      checkItems: Object.keys(CHECK_ERRORS).filter((item) => item !== 'screen' || exam.requiresScreen),
      checkErrors: CHECK_ERRORS,
      jsText: jsText(i18n),
      phoneUrl,
      phoneQr: exam.requiresPhone ? await qrSvg(phoneUrl) : null,
      chooseUrl: claims.examIds.length > 1 ? linkPath : null,
      config: {
        sessionId: session.publicId,
        token: sessionToken(session.publicId),
        status: session.status,
        endReason: session.endReason,
        stopNote: session.stopNote,
        requiresScreen: exam.requiresScreen,
        requiresPhone: exam.requiresPhone,
        examUrl: quizUrl,
        examOrigin: originOf(quizUrl),
        durationSeconds: exam.durationMinutes * 60,
        startedAt: session.startedAt?.toMillis() ?? null,
        violations: session.violationCount,
        violationLimit: exam.violationLimit,
        /* A step the exam does not ask for counts as done: the page goes past it. */
        identity: { ...(await identityState(session)), ...(exam.requiresFace ? {} : { face: true }), ...(exam.requiresDocument ? {} : { document: true }) },
        chunkMs: 3000,
        maxChunkBytes: maxChunkBytes(),
      },
    })
  }

  /** The phone-camera page (S11), opened from the QR code on the exam page. */
  async phone({ params, view, response }: HttpContext) {
    const session = await ProctoringSession.findBy('publicId', String(params.sessionId))
    if (!session || !verifyPhoneToken(session.publicId, String(params.token))) throw AppError.forbidden('LINK_INVALID')
    noStore(response)
    const exam = await Exam.findOrFail(session.examId)
    return view.render('pages/student/phone', {
      exam,
      config: { sessionId: session.publicId, token: String(params.token), chunkMs: 3000 },
    })
  }
}
