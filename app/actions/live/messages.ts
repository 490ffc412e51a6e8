import db from '@adonisjs/lucid/services/db'
import AppError from '#exceptions/app_error'
import { recordAction, type Actor } from '#actions/audit/record_action'
import { publish } from '#services/live/live'
import { sqlTime } from '#services/sql_time'

export type LiveMessage = {
  id: number
  sessionId: number
  sender: 'staff' | 'student'
  kind: 'chat' | 'warning'
  body: string
  acknowledged: boolean
  at: string
}

export const MESSAGE_MAX_LENGTH = 1000

/** A stored local 'yyyy-MM-dd HH:mm:ss' time as an ISO instant (the pages show it in their own clock). */
export function isoOf(text: string) {
  return new Date(String(text).replace(' ', 'T')).toISOString()
}

function messageOf(row: any): LiveMessage {
  return {
    id: Number(row.id),
    sessionId: Number(row.session_id),
    sender: row.sender,
    kind: row.kind,
    body: row.body,
    acknowledged: row.acknowledged_at !== null,
    at: isoOf(row.created_at),
  }
}

function cleanBody(text: unknown) {
  const body = typeof text === 'string' ? text.trim() : ''
  if (!body) throw AppError.badRequest('LIVE_MESSAGE_EMPTY')
  if (body.length > MESSAGE_MAX_LENGTH) throw AppError.badRequest('LIVE_MESSAGE_TOO_LONG', { max: MESSAGE_MAX_LENGTH })
  return body
}

/** Both sides' pages learn of a message at once: the student's streams and the proctors watching. */
function announce(message: LiveMessage) {
  const event = { type: 'message', message }
  publish(`session:${message.sessionId}`, event)
  publish(`watch:${message.sessionId}`, event)
}

/** A proctor writes to a student: a chat line, or a warning the student must acknowledge. Archived. */
export async function sendStaffMessage(actor: Actor, session: { id: number; publicId: string }, kind: 'chat' | 'warning', text: unknown, ip?: string) {
  const body = cleanBody(text)
  const message = await db.transaction(async (trx) => {
    const [id] = await trx.table('live_messages').insert({ session_id: session.id, sender: 'staff', kind, body, user_id: actor.userId, created_at: sqlTime() })
    return messageOf(await trx.from('live_messages').where('id', id).first())
  })
  await recordAction(actor, {
    action: kind === 'warning' ? 'live.warning' : 'live.chat',
    subjectType: 'session',
    subjectId: session.publicId,
    details: { message: message.id, text: body },
    ip,
  })
  announce(message)
  return message
}

/** A student writes to the proctors. */
export async function sendStudentMessage(sessionId: number, text: unknown) {
  const body = cleanBody(text)
  const [id] = await db.table('live_messages').insert({ session_id: sessionId, sender: 'student', kind: 'chat', body, created_at: sqlTime() })
  const message = messageOf(await db.from('live_messages').where('id', id).first())
  announce(message)
  return message
}

/** The student pressed "I understand" under a warning. Twice is harmless. */
export async function acknowledgeWarning(session: { id: number; publicId: string }, messageId: number) {
  const row = await db.from('live_messages').where({ id: messageId, session_id: session.id, kind: 'warning' }).first()
  if (!row) throw AppError.notFound('LIVE_MESSAGE_NOT_FOUND')
  if (row.acknowledged_at === null) {
    await db.from('live_messages').where('id', messageId).update({ acknowledged_at: sqlTime() })
    await recordAction(
      { userId: null, name: 'student', role: 'student' },
      { action: 'live.warning_acknowledged', subjectType: 'session', subjectId: session.publicId, details: { message: messageId } }
    )
    announce({ ...messageOf(row), acknowledged: true })
  }
  return { acknowledged: true }
}

/** A session's conversation, oldest first (the latest 200). */
export async function messagesOf(sessionId: number) {
  const rows = await db.from('live_messages').where('session_id', sessionId).orderBy('id', 'desc').limit(200)
  return rows.reverse().map(messageOf)
}
