import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import IdentityCheck from '#models/identity_check'
import type ProctoringSession from '#models/proctoring_session'
import { dataDir } from '#config/paths'
import { judgeFacePhoto } from '#services/face_pool'

/**
 * How alike two face embeddings are, 0-1: the face model's own measure (Human's normalised
 * Euclidean similarity, multiplier 25, range 0.2-0.8; see analysis-worker/face/face_engine.ts
 * `similarity`), computed here without loading the model into the web process.
 */
export function embeddingSimilarity(a: ArrayLike<number>, b: ArrayLike<number>) {
  if (a.length !== b.length || a.length === 0) return null
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2
  const distance = Math.round(100 * 25 * sum) / 100
  if (distance === 0) return 1
  const norm = (1 - Math.sqrt(distance) / 100 - 0.2) / (0.8 - 0.2)
  return Math.round(100 * Math.max(Math.min(norm, 1), 0)) / 100
}

type DocumentFaces = { faces: number; embedding: number[] | null }

/**
 * The faces on the ID document photo, found by the face model once (in the photo threads) and
 * kept with the check; a WebP document (which the model cannot read) or a damaged file has none.
 */
async function documentFaces(check: IdentityCheck): Promise<DocumentFaces | null> {
  const known = check.details?.documentFaces as DocumentFaces | undefined
  if (known) return known
  let found: DocumentFaces
  try {
    const bytes = await readFile(join(dataDir, check.photoPath))
    const assessment = await judgeFacePhoto(bytes)
    found = { faces: assessment.faces, embedding: assessment.embedding ? Array.from(assessment.embedding) : null }
  } catch {
    return null
  }
  check.details = { ...(check.details ?? {}), documentFaces: found }
  await check.save()
  return found
}

export type IdentityPanel = {
  face: IdentityCheck | null
  document: IdentityCheck | null
  /** 0-100, the ID's portrait against the face photo; null when it cannot be measured. */
  similarity: number | null
  /** The document photo shows no face (or several): the proctor should look at it. */
  documentNeedsLook: boolean
}

/** The report's identity panel: the latest accepted (else latest) face and document photos. */
export async function identityPanel(session: ProctoringSession): Promise<IdentityPanel> {
  const checks = await IdentityCheck.query().where('sessionId', session.id).orderBy('id', 'desc')
  const pick = (kind: 'face' | 'document') =>
    checks.find((c) => c.kind === kind && c.result === 'accepted') ?? checks.find((c) => c.kind === kind) ?? null
  const face = pick('face')
  const document = pick('document')
  let similarity: number | null = null
  let documentNeedsLook = false
  if (document) {
    const faces = await documentFaces(document)
    documentNeedsLook = faces !== null && faces.faces !== 1
    const faceEmbedding = face?.details?.embedding as number[] | null | undefined
    if (faces?.embedding && faceEmbedding) {
      const value = embeddingSimilarity(faceEmbedding, faces.embedding)
      similarity = value === null ? null : Math.round(value * 100)
    }
  }
  return { face, document, similarity, documentNeedsLook }
}
