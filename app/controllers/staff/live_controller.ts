import type { HttpContext } from '@adonisjs/core/http'
import { readFileSync } from 'node:fs'
import app from '@adonisjs/core/services/app'
import ProctoringSession, { SESSION_STATUSES } from '#models/proctoring_session'
import AppError from '#exceptions/app_error'
import { staffActor } from '#actions/candidates/staff_actor'
import { recordAction } from '#actions/audit/record_action'
import { assertSessionInScope } from '#services/staff_scope'
import { validateJson, validateQuery } from '#validators/request_input'
import {
  liveConnectValidator,
  liveConsumeValidator,
  liveConsumerValidator,
  livePickerValidator,
  liveStaffMessageValidator,
  liveStaffTransportValidator,
  liveStopValidator,
  liveWatchValidator,
} from '#validators/live'
import { newPeerId } from '#services/live/sfu'
import { openStream, sfuCall } from '#services/live/live'
import { iceSettingsFor } from '#services/live/turn'
import { addToWatch, pickerChoices, pickerPage, removeFromWatch, violationFeed, watchedSessionIds, watchedTile, watchedTiles } from '#actions/live/watch_list'
import { messagesOf, sendStaffMessage } from '#actions/live/messages'
import { stopSessionLive } from '#actions/live/stop_session'
import { END_REASONS } from '#actions/sessions/close_session'

const MODES = ['camera', 'camera_screen'] as const
/** The words the page's script shows (messages.live.*). */
const JS_TEXT = ['enlarge', 'chat', 'close_tile', 'no_video', 'acknowledged', 'not_acknowledged', 'failed', 'reason_required', 'added']

/**
 * The proctor's live page (P6, issue 12): the watch grid and its picker, the event stream,
 * the receive transports and consumers (staff only; every subscription archived), the chat,
 * warnings and "stop the session".
 */
export default class LiveController {
  private async session(ctx: HttpContext, publicId: unknown) {
    const session = await ProctoringSession.findBy('publicId', String(publicId ?? ''))
    if (!session) throw AppError.notFound('SESSION_NOT_FOUND')
    await assertSessionInScope(ctx.auth.use('web').user!, session)
    return session
  }

  async index(ctx: HttpContext) {
    const user = ctx.auth.use('web').user!
    const mode = MODES.includes(ctx.request.qs().mode) ? ctx.request.qs().mode : 'camera'
    const tiles = await watchedTiles(user)
    const violation = Object.fromEntries(violationTypes().map((key) => [key, ctx.i18n.t(`messages.violation.${key}`)]))
    const t = (key: string, values?: Record<string, unknown>) => ctx.i18n.t(`messages.live.${key}`, values)
    const text: Record<string, string> = {}
    for (const key of JS_TEXT) text[key] = t(key)
    /* Counted words: one text per plural category of the language (the page picks with Intl.PluralRules). */
    const plurals: Record<string, Record<string, string>> = {}
    const rules = new Intl.PluralRules(ctx.i18n.locale)
    for (const key of ['tile_count', 'violations']) {
      plurals[key] = {}
      for (const n of [0, 1, 2, 3, 5, 11, 21, 22, 25, 100]) plurals[key][rules.select(n)] ??= t(key, { count: n }).replace(String(n), '{count}')
    }
    for (const status of SESSION_STATUSES) text[`status_${status}`] = ctx.i18n.t(`messages.status.${status}`)
    for (const reason of END_REASONS) text[`end_${reason}`] = ctx.i18n.t(`messages.end_reason.${reason}`)
    for (const source of ['browser', 'analysis', 'proctor']) text[`source_${source}`] = ctx.i18n.t(`messages.source.${source}`)
    return ctx.view.render('pages/staff/live', { mode, tiles, liveI18n: { violation, text, plurals } })
  }

  async picker(ctx: HttpContext) {
    const user = ctx.auth.use('web').user!
    const filters = await validateQuery(ctx.request, livePickerValidator)
    const page = await pickerPage(user, { exam: filters.exam ?? null, group: filters.group ?? null, q: filters.q ?? '', page: filters.page ?? 1 })
    const choices = await pickerChoices(user)
    return ctx.view.render('partials/live_picker', { page, choices, filters })
  }

  async watch(ctx: HttpContext) {
    const user = ctx.auth.use('web').user!
    const { session } = await validateJson(ctx.request, liveWatchValidator)
    const id = await addToWatch(user, session)
    const tile = await watchedTile(user, id)
    return ctx.response.ok({ tile, sources: (await sfuCall('publishedSources', { sessionIds: [id] }))[id] ?? [] })
  }

  async unwatch(ctx: HttpContext) {
    const user = ctx.auth.use('web').user!
    await removeFromWatch(user, String(ctx.params.id))
    return ctx.response.ok({ removed: true })
  }

  /** What the tiles show, re-read every few seconds, and the feed of violations newer than `after`. */
  async state(ctx: HttpContext) {
    const user = ctx.auth.use('web').user!
    const after = Math.max(0, Number(ctx.request.qs().after) || 0)
    const tiles = await watchedTiles(user)
    const ids = tiles.map((tile) => tile.id)
    const sources = ids.length ? await sfuCall<Record<number, string[]>>('publishedSources', { sessionIds: ids }) : {}
    return ctx.response.ok({ tiles, sources, feed: await violationFeed(ids, after) })
  }

  async events(ctx: HttpContext) {
    const user = ctx.auth.use('web').user!
    const peerId = newPeerId()
    const { epoch } = await sfuCall('openPeer', { peerId, role: 'staff', userId: user.id })
    const watched = await watchedSessionIds(user.id)
    openStream(ctx.response, {
      /* A proctor may keep the live page open in a few tabs. */
      owner: `user:${user.id}`,
      most: 6,
      channels: [`peer:${peerId}`, `user:${user.id}`, 'all', ...watched.map((id) => `watch:${id}`)],
      first: { type: 'hello', peerId, epoch },
      /* A tile added or closed in another tab or process: follow the list. */
      onMessage: (message, channels) => {
        if (message.type !== 'watch') return
        const channel = `watch:${message.sessionId}`
        if (message.on) channels.add(channel)
        else channels.delete(channel)
      },
      onClose: () => void sfuCall('closePeer', { peerId }).catch(() => undefined),
    })
  }

  async transport(ctx: HttpContext) {
    const user = ctx.auth.use('web').user!
    const { peerId, session: publicId } = await validateJson(ctx.request, liveStaffTransportValidator)
    const session = await this.session(ctx, publicId)
    const transport = await sfuCall('createTransport', { peerId, userId: user.id, examId: session.examId })
    return ctx.response.ok({ ...transport, ...iceSettingsFor(`u${user.id}`) })
  }

  async connect(ctx: HttpContext) {
    const user = ctx.auth.use('web').user!
    const input = await validateJson(ctx.request, liveConnectValidator)
    return ctx.response.ok(await sfuCall('connect', { ...input, userId: user.id }))
  }

  /** One subscription to a student's stream: only within the proctor's scope, and archived. */
  async consume(ctx: HttpContext) {
    const user = ctx.auth.use('web').user!
    const input = await validateJson(ctx.request, liveConsumeValidator)
    const session = await this.session(ctx, input.session)
    const consumer = await sfuCall('consume', {
      peerId: input.peerId,
      userId: user.id,
      transportId: input.transportId,
      sessionId: session.id,
      source: input.source,
      rtpCapabilities: input.rtpCapabilities,
    })
    await recordAction(staffActor(user), {
      action: 'live.watch',
      subjectType: 'session',
      subjectId: session.publicId,
      details: { source: input.source },
      ip: ctx.request.ip(),
    })
    return ctx.response.created(consumer)
  }

  /** The page has the consumer's track: the video may flow. */
  async resume(ctx: HttpContext) {
    return this.consumerCall(ctx, 'resume')
  }

  /** Enlarged or back to a tile: the simulcast layer the consumer receives. */
  async layer(ctx: HttpContext) {
    return this.consumerCall(ctx, 'setLayer')
  }

  private async consumerCall(ctx: HttpContext, op: 'resume' | 'setLayer') {
    const user = ctx.auth.use('web').user!
    const input = await validateJson(ctx.request, liveConsumerValidator)
    return ctx.response.ok(await sfuCall(op, { ...input, large: Boolean(input.large), userId: user.id }))
  }

  async messages(ctx: HttpContext) {
    const session = await this.session(ctx, ctx.params.id)
    return ctx.response.ok({ messages: await messagesOf(session.id) })
  }

  async sendMessage(ctx: HttpContext) {
    const user = ctx.auth.use('web').user!
    const session = await this.session(ctx, ctx.params.id)
    const { text, kind } = await validateJson(ctx.request, liveStaffMessageValidator)
    if (!session.isOpen) throw AppError.conflict('SESSION_CLOSED')
    return ctx.response.created(await sendStaffMessage(staffActor(user), session, kind, text, ctx.request.ip()))
  }

  async stop(ctx: HttpContext) {
    const user = ctx.auth.use('web').user!
    const session = await this.session(ctx, ctx.params.id)
    const { reason } = await validateJson(ctx.request, liveStopValidator)
    await stopSessionLive(staffActor(user), session, reason, ctx.request.ip())
    return ctx.response.ok({ stopped: true, status: 'stopped' })
  }
}

let types: string[] | null = null
/** The violation kinds the panel names (the keys of messages.violation), for the page's script. */
function violationTypes() {
  types ??= Object.keys(JSON.parse(readFileSync(app.languageFilesPath('en/messages.json'), 'utf8')).violation ?? {})
  return types
}
