import db from '@adonisjs/lucid/services/db'
import AppError from '#exceptions/app_error'
import Candidate from '#models/candidate'
import Group from '#models/group'
import { appendEntry, type Actor } from '#actions/audit/record_action'
import { planImport, planIsClean, type ImportPlan } from '#actions/candidates/plan_import'
import type { Table } from '#services/spreadsheets'

/**
 * Applies an import file in ONE transaction: plans it again inside the transaction (what the
 * preview showed may be stale), refuses it whole (IMPORT_HAS_ERRORS) when any row has an
 * error, creates the groups it names, creates and updates candidates, and archives the
 * counts. Nothing is stored unless everything is.
 */
export async function applyImport(actor: Actor, file: Table, fileName: string, ip?: string) {
  return db.transaction(async (trx) => {
    const plan: ImportPlan = await planImport(file, trx)
    if (!planIsClean(plan)) throw new AppError('IMPORT_HAS_ERRORS', 422, { count: plan.counts.errors + plan.fileErrors.length })
    const groupIds = new Map<string, number>()
    for (const group of await Group.query({ client: trx })) groupIds.set(group.name, group.id)
    for (const name of plan.newGroups) {
      const group = await Group.create({ name }, { client: trx })
      groupIds.set(name, group.id)
    }
    for (const row of plan.rows) {
      if (row.action === 'unchanged') continue
      const candidate = row.candidateId ? await Candidate.findOrFail(row.candidateId, { client: trx }) : new Candidate()
      candidate.useTransaction(trx)
      const v = row.values
      if ('full_name' in v) candidate.fullName = v.full_name!
      if ('group' in v) candidate.groupId = v.group ? groupIds.get(v.group)! : null
      if ('iin' in v) candidate.iin = v.iin || null
      if ('email' in v) candidate.email = v.email || null
      if ('external_id' in v) candidate.externalId = v.external_id || null
      await candidate.save()
    }
    const counts = { created: plan.counts.create, updated: plan.counts.update, unchanged: plan.counts.unchanged, groupsCreated: plan.newGroups.length }
    await appendEntry(trx, actor, {
      action: 'candidate.import',
      subjectType: 'candidate',
      details: { file: fileName, rows: plan.rows.length, ...counts, newGroups: plan.newGroups.slice(0, 20) },
      ip,
    })
    return counts
  })
}
