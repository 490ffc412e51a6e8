import db from '@adonisjs/lucid/services/db'
import AppError from '#exceptions/app_error'
import Group from '#models/group'
import Discipline from '#models/discipline'
import System from '#models/system'
import { appendEntry, type Actor } from '#actions/audit/record_action'

/*
| The reference lists candidates and exams hang on: groups, disciplines and systems (the
| integrations a session comes from). Each is created, changed and deleted the same way,
| archived with what changed; a row something depends on is not deleted (a system can be
| switched off instead).
*/

export const DIRECTORY_KINDS = ['groups', 'disciplines', 'systems'] as const
export type DirectoryKind = (typeof DIRECTORY_KINDS)[number]

type Row = Group | Discipline | System
type Model = typeof Group | typeof Discipline | typeof System

export const DIRECTORY: Record<DirectoryKind, { model: Model; subject: string; fields: string[]; dependents: [string, string][] }> = {
  groups: { model: Group, subject: 'group', fields: ['name'], dependents: [['candidates', 'group_id']] },
  disciplines: { model: Discipline, subject: 'discipline', fields: ['name', 'code'], dependents: [['exams', 'discipline_id']] },
  systems: {
    model: System,
    subject: 'system',
    fields: ['name', 'kind', 'active', 'issuer', 'clientId', 'deploymentId', 'jwksUrl', 'authLoginUrl', 'webhookUrl'],
    dependents: [['candidates', 'system_id'], ['exams', 'system_id'], ['proctoring_sessions', 'system_id']],
  },
}

export function directoryKind(value: unknown): DirectoryKind | null {
  return (DIRECTORY_KINDS as readonly unknown[]).includes(value) ? (value as DirectoryKind) : null
}

/** How many rows of other tables name this one (candidates in a group, exams of a discipline...). */
export async function dependentsOf(kind: DirectoryKind, id: number) {
  let total = 0
  for (const [table, column] of DIRECTORY[kind].dependents) {
    const [{ n }] = await db.from(table).where(column, id).count('* as n')
    total += Number(n)
  }
  return total
}

/** Creates (no `row`) or changes a row, archiving what changed; an unchanged save writes nothing. */
export async function saveDirectoryRow(actor: Actor, kind: DirectoryKind, row: Row | null, fields: Record<string, unknown>, ip?: string) {
  const { model, subject } = DIRECTORY[kind]
  const changes: Record<string, [unknown, unknown]> = {}
  for (const [key, value] of Object.entries(fields)) {
    const before = row ? ((row as any)[key] ?? null) : null
    if (before !== value) changes[key] = [before, value]
  }
  if (row && Object.keys(changes).length === 0) return row
  return db.transaction(async (trx) => {
    const target = row ?? new (model as any)()
    target.useTransaction(trx)
    target.merge(fields)
    await target.save()
    await appendEntry(trx, actor, {
      action: `${subject}.${row ? 'update' : 'create'}`,
      subjectType: subject,
      subjectId: target.id,
      details: { changes },
      ip,
    })
    return target as Row
  })
}

/** Deletes a row nothing depends on; otherwise DIRECTORY_IN_USE (409) with the count. */
export async function deleteDirectoryRow(actor: Actor, kind: DirectoryKind, row: Row, ip?: string) {
  const count = await dependentsOf(kind, row.id)
  if (count > 0) throw AppError.conflict('DIRECTORY_IN_USE', { count })
  const { subject } = DIRECTORY[kind]
  await db.transaction(async (trx) => {
    await trx.from(DIRECTORY[kind].model.table).where('id', row.id).delete()
    await appendEntry(trx, actor, {
      action: `${subject}.delete`,
      subjectType: subject,
      subjectId: row.id,
      details: { deleted: Object.fromEntries(DIRECTORY[kind].fields.map((key) => [key, (row as any)[key] ?? null])) },
      ip,
    })
  })
}
