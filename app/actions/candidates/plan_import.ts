import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import Candidate from '#models/candidate'
import Group from '#models/group'
import { isValidIin } from '#services/iin'
import type { Table } from '#services/spreadsheets'
import { importRowValidator } from '#validators/candidates'

/*
| What an import file would do, row by row, before anything is stored: each row's errors
| (codes from errors.json), and otherwise whether it creates a candidate, updates one (found
| by IIN, else by external id) or leaves one as it is. The preview shows this plan; the
| import makes it again from the stored file, inside its transaction, and applies it only
| when no row has an error.
*/

/** The template's columns, in order (README "Preparing an exam" lists them from here). */
export const IMPORT_COLUMNS = ['full_name', 'group', 'iin', 'email', 'external_id'] as const
export type ImportColumn = (typeof IMPORT_COLUMNS)[number]

/** One example row of the template. */
export const TEMPLATE_EXAMPLE = ['Әлиева Аружан Серікқызы', 'ИС-21-1', '900101300017', 'aruzhan.alieva@example.kz', 'st-000123']

/** Header names people write instead of the template's (kk, ru, en), lower-cased. */
const ALIASES: Record<string, ImportColumn> = {
  'fio': 'full_name', 'фио': 'full_name', 'аты-жөні': 'full_name', 'full name': 'full_name', 'name': 'full_name',
  'группа': 'group', 'топ': 'group',
  'иин': 'iin', 'жсн': 'iin',
  'e-mail': 'email', 'почта': 'email', 'электронная почта': 'email',
  'внешний id': 'external_id', 'сыртқы id': 'external_id', 'external id': 'external_id',
}

export type RowError = { code: string; params?: Record<string, unknown> }
export type RowAction = 'create' | 'update' | 'unchanged'
export type PlannedRow = {
  line: number
  values: Partial<Record<ImportColumn, string>>
  errors: RowError[]
  action: RowAction | null
  candidateId: number | null
  changes: string[]
}
export type ImportPlan = {
  fileErrors: RowError[]
  columns: ImportColumn[]
  rows: PlannedRow[]
  newGroups: string[]
  counts: Record<RowAction, number> & { errors: number }
}

function columnOf(name: string): ImportColumn | null {
  const key = name.trim().toLowerCase()
  if ((IMPORT_COLUMNS as readonly string[]).includes(key)) return key as ImportColumn
  const spaced = key.replace(/_/g, ' ')
  return ALIASES[key] ?? ALIASES[spaced] ?? null
}

/** The row's field for the candidate's column, or undefined when the file has no such column. */
const fieldOf = (values: PlannedRow['values'], column: ImportColumn) =>
  column in values ? values[column] || null : undefined

export async function planImport(file: Table, client?: QueryClientContract): Promise<ImportPlan> {
  const fileErrors: RowError[] = []
  const columns: (ImportColumn | null)[] = file.header.map(columnOf)
  file.header.forEach((name, index) => {
    if (!columns[index]) fileErrors.push({ code: 'IMPORT_COLUMN_UNKNOWN', params: { column: name || `#${index + 1}` } })
    else if (columns.indexOf(columns[index]) !== index) fileErrors.push({ code: 'IMPORT_COLUMN_DUPLICATE', params: { column: name } })
  })
  if (!columns.includes('full_name')) fileErrors.push({ code: 'IMPORT_COLUMN_MISSING', params: { column: 'full_name' } })
  if (!columns.includes('iin') && !columns.includes('external_id')) {
    fileErrors.push({ code: 'IMPORT_COLUMN_MISSING', params: { column: 'iin / external_id' } })
  }

  const groups = new Map((await Group.query({ client })).map((group) => [group.name, group]))
  const candidates = await Candidate.query({ client }).preload('group')
  const byIin = new Map(candidates.filter((c) => c.iin).map((c) => [c.iin!, c]))
  const byExternal = new Map(candidates.filter((c) => c.externalId && c.systemId === null).map((c) => [c.externalId!, c]))
  const seenIin = new Map<string, number>()
  const seenExternal = new Map<string, number>()
  const newGroups = new Set<string>()

  const rows: PlannedRow[] = []
  for (const source of file.rows) {
    const values: PlannedRow['values'] = {}
    const errors: RowError[] = []
    columns.forEach((column, index) => {
      if (column && !(column in values)) values[column] = (source.cells[index] ?? '').trim()
    })
    /* Excel keeps an IIN typed as a number without its leading zero. */
    if (values.iin && /^[0-9]{11}$/.test(values.iin)) values.iin = `0${values.iin}`
    if (values.iin) values.iin = values.iin.replace(/\s+/g, '')
    const extra = source.cells.slice(columns.length).filter((cell) => cell !== '')
    if (extra.length) errors.push({ code: 'IMPORT_CELLS_OUTSIDE_COLUMNS' })

    const [problem] = await importRowValidator.tryValidate(
      Object.fromEntries(Object.entries(values).map(([key, value]) => [key, value === '' ? null : value]))
    )
    for (const message of (problem?.messages ?? []) as { field: string; rule: string }[]) {
      const code =
        message.field === 'full_name' ? 'FULL_NAME_REQUIRED'
        : message.field === 'iin' ? 'IIN_INVALID'
        : message.field === 'email' ? 'EMAIL_INVALID'
        : 'IMPORT_CELL_INVALID'
      if (!errors.some((error) => error.code === code)) errors.push({ code, params: { column: message.field } })
    }
    if (values.iin && !isValidIin(values.iin) && !errors.some((error) => error.code === 'IIN_INVALID')) {
      errors.push({ code: 'IIN_INVALID' })
    }
    if (!values.iin && !values.external_id) errors.push({ code: 'IMPORT_ID_MISSING' })
    if (values.iin) {
      const first = seenIin.get(values.iin)
      if (first) errors.push({ code: 'IMPORT_DUPLICATE_IIN', params: { line: first } })
      else seenIin.set(values.iin, source.line)
    }
    if (values.external_id) {
      const first = seenExternal.get(values.external_id)
      if (first) errors.push({ code: 'IMPORT_DUPLICATE_EXTERNAL_ID', params: { line: first } })
      else seenExternal.set(values.external_id, source.line)
    }

    const found = values.iin ? byIin.get(values.iin) : undefined
    const foundExternal = values.external_id ? byExternal.get(values.external_id) : undefined
    if (found && foundExternal && found.id !== foundExternal.id) errors.push({ code: 'IMPORT_ID_CONFLICT' })
    const existing = found ?? foundExternal ?? null

    let action: RowAction | null = null
    const changes: string[] = []
    if (errors.length === 0) {
      const group = fieldOf(values, 'group')
      if (group && !groups.has(group)) newGroups.add(group)
      const wanted: [string, unknown, unknown][] = [
        ['fullName', existing?.fullName ?? null, fieldOf(values, 'full_name')],
        ['groupId', existing?.group?.name ?? null, group],
        ['iin', existing?.iin ?? null, fieldOf(values, 'iin')],
        ['email', existing?.email ?? null, fieldOf(values, 'email')],
        ['externalId', existing?.externalId ?? null, fieldOf(values, 'external_id')],
      ]
      for (const [name, before, after] of wanted) if (after !== undefined && before !== after) changes.push(name)
      action = !existing ? 'create' : changes.length ? 'update' : 'unchanged'
    }
    rows.push({ line: source.line, values, errors, action, candidateId: existing?.id ?? null, changes })
  }

  const counts = { create: 0, update: 0, unchanged: 0, errors: 0 }
  for (const row of rows) {
    if (row.errors.length) counts.errors++
    else counts[row.action!]++
  }
  if (rows.length === 0) fileErrors.push({ code: 'IMPORT_NO_ROWS' })
  return { fileErrors, columns: columns.filter((c): c is ImportColumn => c !== null), rows, newGroups: [...newGroups], counts }
}

/** Whether the plan may be applied: no error in the file or in any row. */
export const planIsClean = (plan: ImportPlan) => plan.fileErrors.length === 0 && plan.counts.errors === 0
