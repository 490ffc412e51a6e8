import type { Readable } from 'node:stream'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DateTime } from 'luxon'
import IdentityCheck from '#models/identity_check'
import ProctoringSession from '#models/proctoring_session'
import { dataDir } from '#config/paths'
import { storeIdentityPhoto } from '#actions/sessions/store_identity_photo'
import { assessIdentityPhoto } from '#worker/face/face_engine'

/**
 * S4: the face photo is judged by the face model before it is accepted (exactly one face,
 * big, sharp and lit enough); the refusal says what to fix. The photo is kept either way.
 */
export async function submitFacePhoto(session: ProctoringSession, contentType: string | undefined, body: Readable) {
  const check = await storeIdentityPhoto(session, 'face', contentType, body)
  const verdict = await assessIdentityPhoto(await readFile(join(dataDir, check.photoPath)))
  check.result = verdict.ok ? 'accepted' : 'rejected'
  check.reason = verdict.ok ? null : (verdict.reason ?? 'NO_FACE')
  check.details = { ...check.details, faces: verdict.faces, embedding: verdict.embedding ?? null }
  await check.save()
  return check
}

export async function submitDocumentPhoto(session: ProctoringSession, contentType: string | undefined, body: Readable) {
  const check = await storeIdentityPhoto(session, 'document', contentType, body)
  check.result = 'accepted'
  await check.save()
  return check
}

export async function giveConsent(session: ProctoringSession) {
  if (!session.consentedAt) {
    session.consentedAt = DateTime.now()
    await session.save()
  }
}

/** What the page needs to know to resume after a reload: which steps are already done. */
export async function identityState(session: ProctoringSession) {
  const checks = await IdentityCheck.query().where({ sessionId: session.id, result: 'accepted' })
  return {
    consent: Boolean(session.consentedAt),
    face: checks.some((c) => c.kind === 'face'),
    document: checks.some((c) => c.kind === 'document'),
  }
}
