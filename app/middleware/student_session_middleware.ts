import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import env from '#start/env'
import AppError from '#exceptions/app_error'
import ProctoringSession, { type SessionStatus } from '#models/proctoring_session'
import { tokenRole } from '#services/signing'
import { markSeen } from '#services/presence'
import { withConnection } from '#services/sqlite_direct'

/**
 * What a route still accepts once the session is closed: 'refuse' nothing; 'grace' only
 * within a short time after the end (the last chunks, events and totals of the attempt
 * still on their way from the browser); 'allow' always (reading the status, finishing twice).
 */
export type WhenClosed = 'refuse' | 'grace' | 'allow'

/** Seconds after a session ends during which its last uploads may still arrive. */
export function closedGraceSeconds() {
  return env.get('CLOSED_SESSION_GRACE_SECONDS', 120)
}

/**
 * The student API: the URL names the session, the bearer token proves the browser was
 * given it. A token for one session opens no other; the phone page's token opens only
 * what the phone needs. Every call counts as a sign of life for the reconnect window.
 * A closed session takes no more writes, but for the grace the route allows.
 */
export default class StudentSessionMiddleware {
  async handle(
    ctx: HttpContext,
    next: NextFn,
    options: { allow?: ('student' | 'phone')[]; whenClosed?: WhenClosed } = {}
  ) {
    const publicId = String(ctx.params.sessionId ?? '')
    const header = ctx.request.header('authorization') ?? ''
    const token = header.startsWith('Bearer ') ? header.slice(7).trim() : undefined
    if (!token) throw new AppError('SESSION_TOKEN_REQUIRED', 401)
    /* The token is checked before the database is asked anything. */
    const role = tokenRole(publicId, token)
    if (!role || !(options.allow ?? ['student']).includes(role)) throw AppError.forbidden('SESSION_TOKEN_INVALID')
    const row = await withConnection((conn) => conn.prepare('SELECT * FROM proctoring_sessions WHERE public_id = ?').get(publicId))
    if (!row) throw AppError.forbidden('SESSION_TOKEN_INVALID')
    const session = studentSessionOf(row)
    if (!session.isOpen && !acceptsWhenClosed(session, options.whenClosed ?? 'refuse')) {
      throw AppError.conflict('SESSION_CLOSED')
    }
    markSeen(session.id, role)
    ctx.studentSession = session
    /* The Lucid model only for the routes that need one: chunks and heartbeats (most calls) do not. */
    let model: ProctoringSession | undefined
    Object.defineProperty(ctx, 'proctoringSession', {
      configurable: true,
      get: () => (model ??= ProctoringSession.$createFromAdapterResult(row)!),
    })
    ctx.studentRole = role
    return next()
  }
}

/** The session as the student API's hot paths read it: plain values, no model to build. */
export type StudentSession = {
  id: number
  publicId: string
  status: SessionStatus
  endReason: string | null
  stopNote: string | null
  violationCount: number
  consented: boolean
  endedAtMs: number | null
  phoneLastSeenAtMs: number | null
  isOpen: boolean
}

/** Lucid keeps times as local 'yyyy-MM-dd HH:mm:ss' text; this reads them without luxon. */
function localMillis(text: string | null) {
  return text ? new Date(text.replace(' ', 'T')).getTime() : null
}

function studentSessionOf(row: Record<string, any>): StudentSession {
  return {
    id: row.id,
    publicId: row.public_id,
    status: row.status,
    endReason: row.end_reason,
    stopNote: row.stop_note ?? null,
    violationCount: row.violation_count,
    consented: Boolean(row.consented_at),
    endedAtMs: localMillis(row.ended_at),
    phoneLastSeenAtMs: localMillis(row.phone_last_seen_at),
    isOpen: row.status === 'not_started' || row.status === 'in_progress',
  }
}

function acceptsWhenClosed(session: StudentSession, policy: WhenClosed) {
  if (policy === 'allow') return true
  if (policy === 'refuse' || session.endedAtMs === null) return false
  return Date.now() - session.endedAtMs <= closedGraceSeconds() * 1000
}

declare module '@adonisjs/core/http' {
  export interface HttpContext {
    proctoringSession: ProctoringSession
    studentSession: StudentSession
    studentRole: 'student' | 'phone'
  }
}
