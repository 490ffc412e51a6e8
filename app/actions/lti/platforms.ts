import db from '@adonisjs/lucid/services/db'
import System from '#models/system'
import AppError from '#exceptions/app_error'
import { appendEntry, type Actor } from '#actions/audit/record_action'
import { forgetPlatformKeys } from '#services/lti/platform_keys'
import { rotateKeys } from '#services/lti/tool_keys'

export type PlatformFields = {
  name: string
  issuer: string
  clientId: string
  deploymentIds: string[]
  authLoginUrl: string
  tokenUrl: string | null
  jwksUrl: string
  active: boolean
}

const FIELDS = ['name', 'issuer', 'clientId', 'deploymentIds', 'authLoginUrl', 'tokenUrl', 'jwksUrl', 'active'] as const

export function platformValues(system: System): PlatformFields {
  return {
    name: system.name,
    issuer: system.issuer ?? '',
    clientId: system.clientId ?? '',
    deploymentIds: system.deploymentIds?.length ? system.deploymentIds : system.deploymentId ? [system.deploymentId] : [],
    authLoginUrl: system.authLoginUrl ?? '',
    tokenUrl: system.tokenUrl,
    jwksUrl: system.jwksUrl ?? '',
    active: system.active,
  }
}

export function ltiPlatforms() {
  return System.query().where('kind', 'lti').orderBy('name')
}

export async function findLtiPlatform(id: number | null) {
  const system = id ? await System.find(id) : null
  if (!system || system.kind !== 'lti') throw AppError.notFound('LTI_PLATFORM_NOT_FOUND')
  return system
}

/** Whether another registration has the same issuer and client id (a launch could not tell them apart). */
export async function platformTaken(fields: Pick<PlatformFields, 'issuer' | 'clientId'>, exceptId: number | null) {
  const query = System.query().where({ kind: 'lti', issuer: fields.issuer, clientId: fields.clientId })
  if (exceptId) query.whereNot('id', exceptId)
  return Boolean(await query.first())
}

/**
 * Registers an LTI platform by hand, or changes a registration (null: a new one). Archived
 * with what changed; a changed key-set URL forgets the cached keys.
 */
export async function savePlatform(actor: Actor, system: System | null, fields: PlatformFields, ip?: string) {
  if (await platformTaken(fields, system?.id ?? null)) throw AppError.conflict('LTI_PLATFORM_TAKEN')
  const saved = await db.transaction(async (trx) => {
    const before = system ? platformValues(system) : null
    const row = system ?? new System()
    row.useTransaction(trx)
    row.merge({ ...fields, deploymentId: fields.deploymentIds[0], kind: 'lti' })
    if (!system) row.registrationSource = 'manual'
    await row.save()
    const changes: Record<string, [unknown, unknown]> = {}
    for (const key of FIELDS) {
      const was = before ? before[key] : null
      if (JSON.stringify(was) !== JSON.stringify(fields[key])) changes[key] = [was, fields[key]]
    }
    await appendEntry(trx, actor, {
      action: system ? 'lti.platform_update' : 'lti.platform_create',
      subjectType: 'system',
      subjectId: row.id,
      details: { name: row.name, source: row.registrationSource, changes },
      ip,
    })
    return row
  })
  forgetPlatformKeys(saved.id)
  return saved
}

/** Deletes a registration nothing came through yet (else LTI_PLATFORM_IN_USE: switch it off). */
export async function deletePlatform(actor: Actor, system: System, ip?: string) {
  await db.transaction(async (trx) => {
    const used =
      (await trx.from('proctoring_sessions').where('system_id', system.id).first()) ??
      (await trx.from('candidates').where('system_id', system.id).first()) ??
      (await trx.from('exams').where('system_id', system.id).first())
    if (used) throw AppError.conflict('LTI_PLATFORM_IN_USE')
    await trx.from('systems').where('id', system.id).delete()
    await appendEntry(trx, actor, {
      action: 'lti.platform_delete',
      subjectType: 'system',
      subjectId: system.id,
      details: platformValues(system),
      ip,
    })
  })
  forgetPlatformKeys(system.id)
}

/** A new tool signing key (the previous one stays published), archived. */
export async function rotateToolKeys(actor: Actor, ip?: string) {
  const result = await rotateKeys()
  await db.transaction(async (trx) => {
    await appendEntry(trx, actor, { action: 'lti.keys_rotate', subjectType: 'lti_tool_key', subjectId: result.kid, details: result, ip })
  })
  return result
}
