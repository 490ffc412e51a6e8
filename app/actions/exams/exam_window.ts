import { DateTime } from 'luxon'
import type Exam from '#models/exam'
import AppError from '#exceptions/app_error'

const shown = (at: DateTime) => at.toFormat('dd.MM.yyyy HH:mm')

/**
 * An exam can be entered only between its opening and closing times (either may be unset).
 * Checked when a student link is opened and when an attempt starts; the student is told
 * when it opens (EXAM_NOT_OPEN_YET) or that it has closed (EXAM_CLOSED).
 */
export function assertExamOpen(exam: Exam, now = DateTime.now()) {
  if (exam.opensAt && now < exam.opensAt) throw AppError.forbidden('EXAM_NOT_OPEN_YET', { opensAt: shown(exam.opensAt) })
  if (exam.closesAt && now >= exam.closesAt) throw AppError.forbidden('EXAM_CLOSED', { closesAt: shown(exam.closesAt) })
}
