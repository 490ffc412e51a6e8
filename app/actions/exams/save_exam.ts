import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import { errors as vineErrors } from '@vinejs/vine'
import Exam, { EXAM_LANGUAGES, type ExamRules } from '#models/exam'
import { appendEntry, type Actor } from '#actions/audit/record_action'
import type { ExamForm } from '#validators/exams'

/** What an exam's settings look like in the action archive: plain values, comparable one by one. */
export function examSnapshot(exam: Exam): Record<string, unknown> {
  return {
    titleKk: exam.titleKk ?? null,
    titleRu: exam.titleRu ?? null,
    titleEn: exam.titleEn ?? null,
    disciplineId: exam.disciplineId ?? null,
    durationMinutes: exam.durationMinutes,
    opensAt: exam.opensAt?.toISO() ?? null,
    closesAt: exam.closesAt?.toISO() ?? null,
    examUrl: exam.examUrl ?? null,
    violationLimit: exam.violationLimit,
    countedKinds: exam.countedKinds ?? null,
    weights: exam.weights,
    passThreshold: exam.passThreshold,
    rules: exam.rules,
    reconnectWindowSeconds: exam.reconnectWindowSeconds,
    requiresScreen: Boolean(exam.requiresScreen),
    requiresPhone: Boolean(exam.requiresPhone),
    requiresFace: exam.requiresFace === undefined ? true : Boolean(exam.requiresFace),
    requiresDocument: exam.requiresDocument === undefined ? true : Boolean(exam.requiresDocument),
  }
}

/** Each setting that differs, as { field: [before, after] } (JSON values compared as JSON). */
export function changesBetween(before: Record<string, unknown>, after: Record<string, unknown>) {
  const changes: Record<string, [unknown, unknown]> = {}
  for (const key of Object.keys(after)) {
    if (JSON.stringify(before[key] ?? null) !== JSON.stringify(after[key] ?? null)) changes[key] = [before[key] ?? null, after[key] ?? null]
  }
  return changes
}

function fieldError(field: string, rule: string, message: string) {
  return new vineErrors.E_VALIDATION_ERROR([{ field, rule, message }])
}

const parseLocal = (value: string | null | undefined) => (value ? DateTime.fromISO(value) : null)

/** The form's values as the exam's columns; refuses what only makes sense across fields. */
function settingsFrom(form: ExamForm) {
  const opensAt = parseLocal(form.opensAt)
  const closesAt = parseLocal(form.closesAt)
  if (opensAt && !opensAt.isValid) throw fieldError('opensAt', 'date', 'Not a date')
  if (closesAt && !closesAt.isValid) throw fieldError('closesAt', 'date', 'Not a date')
  if (opensAt && closesAt && closesAt <= opensAt) throw fieldError('closesAt', 'afterOpens', 'Closes before it opens')
  /* Without the quiz address the student takes the quiz in another tab: focus loss could not be held against them. */
  const leavingCounts = (form.countedKinds ?? []).some((kind) => kind === 'focus_lost' || kind === 'tab_hidden')
  if (!form.examUrl && leavingCounts && form.violationLimit > 0) throw fieldError('examUrl', 'neededForFocus', 'The quiz address is needed when leaving the page counts')
  const allowed: string[] = form.allowed ?? []
  const forbidden: string[] = form.forbidden ?? []
  if (allowed.some((item) => forbidden.includes(item))) throw fieldError('forbidden', 'bothLists', 'An item is both allowed and forbidden')

  const text: ExamRules['text'] = {}
  const rulesText = { kk: form.rulesKk, ru: form.rulesRu, en: form.rulesEn }
  for (const language of EXAM_LANGUAGES) {
    const value = rulesText[language]?.replace(/\r\n?/g, '\n').trim()
    if (value) text[language] = value
  }
  const weights: Record<string, number> = {}
  for (const [kind, value] of Object.entries(form.weights ?? {})) if (typeof value === 'number') weights[kind] = value
  const titles = { titleKk: form.titleKk || null, titleRu: form.titleRu || null, titleEn: form.titleEn || null }
  if (!titles.titleKk && !titles.titleRu && !titles.titleEn) throw fieldError('titleKk', 'required', 'A title is required')
  return {
    ...titles,
    title: (titles.titleKk ?? titles.titleRu ?? titles.titleEn)!,
    disciplineId: form.disciplineId ?? null,
    durationMinutes: form.durationMinutes,
    opensAt,
    closesAt,
    examUrl: form.examUrl || null,
    violationLimit: form.violationLimit,
    countedKinds: form.countedKinds ?? [],
    weights,
    passThreshold: form.passThreshold,
    rules: { allowed, forbidden, ...(Object.keys(text).length ? { text } : {}) },
    reconnectWindowSeconds: form.reconnectWindowMinutes * 60,
    requiresScreen: Boolean(form.requiresScreen),
    requiresPhone: Boolean(form.requiresPhone),
    requiresFace: Boolean(form.requiresFace),
    requiresDocument: Boolean(form.requiresDocument),
  }
}

/**
 * Creates an exam (no `exam` given) or updates one from the admin's form, and writes to the
 * action archive in the same transaction what changed (field: before -> after).
 */
export async function saveExam(actor: Actor, form: ExamForm, ip: string, exam?: Exam) {
  const settings = settingsFrom(form)
  return db.transaction(async (trx) => {
    const target = exam ?? new Exam()
    const before = exam ? examSnapshot(exam) : {}
    target.useTransaction(trx)
    target.merge(settings)
    if (!exam) target.archived = false
    await target.save()
    const changes = changesBetween(before, examSnapshot(target))
    if (exam && Object.keys(changes).length === 0) return { exam: target, changes }
    await appendEntry(trx, actor, {
      action: exam ? 'exam.update' : 'exam.create',
      subjectType: 'exam',
      subjectId: target.id,
      details: { title: target.title, changes },
      ip,
    })
    return { exam: target, changes }
  })
}
