import type { Readable } from 'node:stream'
import { DateTime } from 'luxon'
import IdentityCheck from '#models/identity_check'
import ProctoringSession from '#models/proctoring_session'
import { storeIdentityPhoto } from '#actions/sessions/store_identity_photo'
import { checkPhotoDecodes, judgeFacePhoto } from '#services/face_pool'

/**
 * S4: the face photo is judged by the face model before it is accepted (exactly one face,
 * big, sharp and lit enough); the refusal says what to fix. A sound photo is kept either way.
 * The model runs in the photo thread pool, never on the web process's event loop.
 */
export async function submitFacePhoto(session: ProctoringSession, contentType: string | undefined, body: Readable) {
  return storeIdentityPhoto(session, 'face', contentType, body, async (bytes) => {
    const verdict = await judgeFacePhoto(bytes)
    return {
      result: verdict.ok ? 'accepted' : 'rejected',
      reason: verdict.ok ? null : (verdict.reason ?? 'NO_FACE'),
      details: { faces: verdict.faces, embedding: verdict.embedding ?? null },
    }
  })
}

/** The ID document is kept for staff to look at; it only has to be a sound picture. */
export async function submitDocumentPhoto(session: ProctoringSession, contentType: string | undefined, body: Readable) {
  return storeIdentityPhoto(session, 'document', contentType, body, async (bytes, format) => {
    /* The pure-JavaScript decoders read JPEG and PNG; a WebP's header was read already. */
    if (format !== 'webp') await checkPhotoDecodes(bytes)
    return { result: 'accepted', reason: null }
  })
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
