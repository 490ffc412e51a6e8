import type { HttpContext } from '@adonisjs/core/http'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { extname, join } from 'node:path'
import ProctoringSession from '#models/proctoring_session'
import IdentityCheck from '#models/identity_check'
import AppError from '#exceptions/app_error'
import { dataDir } from '#config/paths'
import { staffActor } from '#actions/candidates/staff_actor'
import { recordAccess } from '#actions/audit/record_access'
import { faceThumbnail } from '#actions/reviews/face_thumbnail'
import { assertSessionInScope } from '#services/staff_scope'

const TYPES: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp' }

/**
 * GET /staff/sessions/:id/photo/face: a session's face photo (the latest accepted one, else
 * the latest), or with `?thumb=1` its small thumbnail for the results list. Every access is
 * archived like any other photo access (one entry per viewing), before a byte is sent.
 */
export default class SessionPhotosController {
  async face(ctx: HttpContext) {
    const { params, request, response } = ctx
    const session = await ProctoringSession.findBy('publicId', String(params.id))
    if (!session) throw AppError.notFound('SESSION_NOT_FOUND')
    const user = ctx.auth.use('web').user!
    await assertSessionInScope(user, session)
    const check = await IdentityCheck.query()
      .where({ sessionId: session.id, kind: 'face' })
      .orderByRaw("case when result = 'accepted' then 0 else 1 end")
      .orderBy('id', 'desc')
      .first()
    if (!check) throw AppError.notFound('PHOTO_NOT_FOUND')
    const thumb = request.input('thumb') === '1'
    let path: string
    try {
      path = thumb ? await faceThumbnail(check.id, check.photoPath) : join(dataDir, check.photoPath)
      await stat(path)
    } catch {
      throw AppError.notFound('PHOTO_NOT_FOUND')
    }
    await recordAccess(staffActor(user), {
      subjectType: 'photo',
      subjectId: check.id,
      download: false,
      range: null,
      details: { session: session.publicId, kind: 'face', thumb },
      ip: request.ip(),
    })
    response.header('Content-Type', thumb ? 'image/jpeg' : (TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream'))
    response.header('Cache-Control', 'private, max-age=300')
    return response.stream(createReadStream(path))
  }
}
