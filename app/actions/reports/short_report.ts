import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { DateTime } from 'luxon'
import PDFDocument from 'pdfkit'
import IdentityCheck from '#models/identity_check'
import type ProctoringSession from '#models/proctoring_session'
import { dataDir } from '#config/paths'
import { scoreOf } from '#actions/reviews/compute_credibility'
import { buildViolationLog, examTime, lengthText, loadLogEvents, type LogRow } from '#actions/reviews/violation_log'

const run = promisify(execFile)

/**
 * DejaVu Sans, from Debian's fonts-dejavu-core (installed by scripts/ and the Ansible role): the
 * PDF's built-in fonts have no Cyrillic, and few fonts have all of Kazakh (Ә Ғ Қ Ң Ө Ұ Ү Һ І).
 */
export const PDF_FONTS = {
  regular: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  bold: '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
}

/**
 * A PDF document with the fonts 'regular' and 'bold' (DejaVu Sans) registered, and the whole
 * file once `doc.end()` is called.
 */
export function pdfDocument(options: PDFKit.PDFDocumentOptions) {
  const doc = new PDFDocument(options)
  const chunks: Buffer[] = []
  doc.on('data', (chunk: Buffer) => chunks.push(chunk))
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
  })
  doc.registerFont('regular', PDF_FONTS.regular)
  doc.registerFont('bold', PDF_FONTS.bold)
  return { doc, done }
}

/** The short report (P5) of one session, as both its PDF and its print view show it. */
export type ShortReport = {
  candidate: string
  iin: string | null
  group: string | null
  exam: string
  startedAt: DateTime | null
  endedAt: DateTime | null
  status: string
  endReason: string | null
  stopNote: string | null
  violationCount: number
  credibility: number | null
  passThreshold: number
  passed: boolean | null
  decision: string
  face: { photoPath: string; at: DateTime; result: string } | null
  rows: LogRow[]
  /** Where each attempt's webcam recording is (once processed) and where it starts on the exam clock. */
  webcam: { attempt: number; filePath: string; offset: number }[]
}

/** Violations shown with a snapshot in the PDF, at most (each is a frame cut from the webcam recording). */
export const SNAPSHOT_LIMIT = 12

/** Reads what the short report shows: the session's facts, its score, its face check and its violation log. */
export async function shortReportOf(session: ProctoringSession, locale: string): Promise<ShortReport> {
  await session.load((loader) => {
    loader
      .load('exam')
      .load('candidate', (candidate) => candidate.preload('group'))
      .load('attempts', (a) => a.orderBy('number', 'asc'))
      .load('recordings')
  })
  const score = await scoreOf(session, session.exam)
  const loaded = await loadLogEvents(session.id, session.attempts)
  const origin = session.startedAt ?? session.attempts[0]?.startedAt ?? session.createdAt
  const face = await IdentityCheck.query()
    .where({ sessionId: session.id, kind: 'face' })
    .orderByRaw("case when result = 'accepted' then 0 else 1 end")
    .orderBy('id', 'desc')
    .first()
  return {
    candidate: session.candidate.fullName,
    iin: session.candidate.iin,
    group: session.candidate.group?.name ?? null,
    exam: session.exam.titleIn(locale),
    startedAt: session.startedAt,
    endedAt: session.endedAt,
    status: session.status,
    endReason: session.endReason,
    stopNote: session.stopNote,
    violationCount: session.violationCount,
    credibility: score ? score.score : null,
    passThreshold: session.exam.passThreshold,
    passed: score ? score.passed : null,
    decision: session.decision,
    face: face ? { photoPath: face.photoPath, at: face.createdAt, result: face.result } : null,
    rows: buildViolationLog(loaded.events, origin, session.attempts),
    webcam: session.recordings
      .filter((recording) => recording.stream === 'webcam' && recording.status === 'ready' && recording.filePath)
      .flatMap((recording) => {
        const attempt = session.attempts.find((a) => a.id === recording.attemptId)
        return attempt ? [{ attempt: attempt.number, filePath: recording.filePath!, offset: Math.max(0, attempt.startedAt.diff(origin).as('seconds')) }] : []
      }),
  }
}

/** A frame of the webcam recording at a violation's start (a JPEG), or null when there is none to cut. */
async function snapshot(report: ShortReport, row: LogRow) {
  const recording = report.webcam.find((r) => r.attempt === row.attempt) ?? (report.webcam.length === 1 ? report.webcam[0] : undefined)
  if (!recording) return null
  const at = Math.max(0, row.start - recording.offset)
  try {
    const { stdout } = await run(
      'ffmpeg',
      ['-v', 'error', '-ss', at.toFixed(2), '-i', join(dataDir, recording.filePath), '-frames:v', '1', '-vf', 'scale=320:-2', '-q:v', '5', '-f', 'mjpeg', 'pipe:1'],
      { encoding: 'buffer', maxBuffer: 4 * 1024 * 1024 }
    )
    return stdout.length ? stdout : null
  } catch {
    return null
  }
}

/** A photo (JPEG, PNG or WebP) as a JPEG at most `side` pixels wide, for the PDF (which takes only JPEG and PNG). */
async function photoJpeg(photoPath: string, side: number) {
  try {
    const { stdout } = await run(
      'ffmpeg',
      ['-v', 'error', '-i', join(dataDir, photoPath), '-vf', `scale='min(${side},iw)':-2`, '-frames:v', '1', '-q:v', '4', '-f', 'mjpeg', 'pipe:1'],
      { encoding: 'buffer', maxBuffer: 8 * 1024 * 1024 }
    )
    return stdout.length ? stdout : null
  } catch {
    return null
  }
}

type Translate = (key: string, params?: Record<string, unknown>) => string

const stamp = (time: DateTime | null) => (time ? time.toFormat('dd.MM.yyyy HH:mm:ss') : '—')

/** The labels both the PDF and the print view use, in the viewer's language. */
export function shortReportFacts(report: ShortReport, t: Translate): [string, string][] {
  return [
    [t('messages.results.col_candidate'), report.candidate + (report.iin ? ` (${t('messages.short_report.iin')} ${report.iin})` : '')],
    [t('messages.results.col_group'), report.group ?? '—'],
    [t('messages.results.col_exam'), report.exam],
    [t('messages.results.col_start'), stamp(report.startedAt)],
    [t('messages.results.col_end'), stamp(report.endedAt)],
    [t('messages.results.col_status'), t(`messages.status.${report.status}`) + (report.endReason ? ` · ${t(`messages.end_reason.${report.endReason}`)}` : '') + (report.stopNote ? ` (${report.stopNote})` : '')],
    [t('messages.short_report.violations_found'), String(report.rows.length)],
    [t('messages.short_report.violations_counted'), String(report.violationCount)],
    [
      t('messages.report.credibility'),
      report.credibility === null
        ? t('messages.review.score_not_computed')
        : `${report.credibility} % (${t('messages.short_report.threshold', { threshold: report.passThreshold })}: ${report.passed ? t('messages.review.passed') : t('messages.review.not_passed')})`,
    ],
    [t('messages.decisions.title'), t(`messages.decisions.${report.decision}`)],
  ]
}

/** One violation log row as the PDF and the print view write it. */
export function shortReportRow(row: LogRow, t: Translate) {
  const units = { h: t('messages.review.unit_h'), min: t('messages.review.unit_min'), s: t('messages.review.unit_s') }
  return {
    kind: t(`messages.violation.${row.type}`),
    range: row.seconds > 0 ? `${examTime(row.start)}–${examTime(row.end)}` : examTime(row.start),
    clock: row.clockStart.toFormat('HH:mm:ss'),
    length: row.seconds > 0 ? lengthText(row.seconds, units) : '—',
  }
}

/**
 * The short report as a PDF (A4, DejaVu Sans): the facts, the identity check with its photo
 * and time, and every violation with its kind and its range on the exam clock.
 */
export async function shortReportPdf(report: ShortReport, t: Translate): Promise<Buffer> {
  const photo = report.face ? await photoJpeg(report.face.photoPath, 480) : null
  const { doc, done } = pdfDocument({ size: 'A4', margin: 48, info: { Title: `${t('messages.short_report.title')}: ${report.candidate}`, Author: t('messages.app.name') } })
  const width = doc.page.width - 96
  const left = 48

  doc.font('bold').fontSize(18).text(t('messages.short_report.title'))
  doc.font('regular').fontSize(10).fillColor('#555').text(t('messages.app.name'))
  doc.moveDown(0.8).fillColor('#000')

  const labelWidth = 170
  for (const [label, value] of shortReportFacts(report, t)) {
    const y = doc.y
    doc.font('regular').fontSize(10).fillColor('#555').text(label, left, y, { width: labelWidth })
    doc.font('bold').fillColor('#000').text(value, left + labelWidth, y, { width: width - labelWidth })
    doc.moveDown(0.35)
  }

  doc.moveDown(0.8).font('bold').fontSize(13).text(t('messages.short_report.identity'), left)
  doc.moveDown(0.3).font('regular').fontSize(10)
  if (report.face) {
    doc.text(`${t('messages.short_report.face_photo')}: ${stamp(report.face.at)} · ${t(`messages.short_report.check_${report.face.result}`)}`)
    if (photo) {
      doc.moveDown(0.3)
      const top = doc.y
      doc.image(photo, left, top, { fit: [200, 150] })
      doc.y = top + 156
    }
  } else {
    doc.fillColor('#555').text(t('messages.short_report.no_face_photo')).fillColor('#000')
  }

  doc.moveDown(0.8).font('bold').fontSize(13).text(t('messages.report.violations'), left)
  doc.moveDown(0.3).fontSize(10)
  if (!report.rows.length) {
    doc.font('regular').fillColor('#555').text(t('messages.short_report.no_violations')).fillColor('#000')
  } else {
    const columns = [
      { key: 'kind', label: t('messages.report.col_type'), width: 200 },
      { key: 'range', label: t('messages.short_report.col_range'), width: 120 },
      { key: 'clock', label: t('messages.short_report.col_clock'), width: 80 },
      { key: 'length', label: t('messages.report.col_length'), width: width - 400 },
    ] as const
    const line = (cells: Record<string, string>, font: 'regular' | 'bold') => {
      if (doc.y > doc.page.height - 80) doc.addPage()
      const y = doc.y
      let x = left
      let bottom = y
      for (const column of columns) {
        doc.font(font).text(cells[column.key], x, y, { width: column.width - 8 })
        bottom = Math.max(bottom, doc.y)
        x += column.width
      }
      doc.y = bottom + 3
    }
    line(Object.fromEntries(columns.map((c) => [c.key, c.label])), 'bold')
    for (const row of report.rows) line(shortReportRow(row, t), 'regular')

    /* The photo report: a frame of the webcam at the start of each violation (the first SNAPSHOT_LIMIT). */
    const shots = (await Promise.all(report.rows.slice(0, SNAPSHOT_LIMIT).map(async (row) => ({ row, image: await snapshot(report, row) })))).filter((shot) => shot.image)
    if (shots.length) {
      doc.moveDown(0.8).font('bold').fontSize(13).text(t('messages.short_report.snapshots'), left)
      doc.moveDown(0.3)
      const [cellWidth, imageHeight, gap] = [160, 100, 12]
      let column = 0
      let top = doc.y
      for (const { row, image } of shots) {
        if (column === 0 && top + imageHeight + 30 > doc.page.height - 48) {
          doc.addPage()
          top = doc.y
        }
        const x = left + column * (cellWidth + gap)
        doc.image(image!, x, top, { fit: [cellWidth, imageHeight] })
        const cells = shortReportRow(row, t)
        doc.font('regular').fontSize(8).text(`${cells.kind} · ${cells.range}`, x, top + imageHeight + 3, { width: cellWidth })
        column = (column + 1) % 3
        if (column === 0) top += imageHeight + 30
      }
      doc.y = column === 0 ? top : top + imageHeight + 30
      doc.x = left
    }
  }
  doc.end()
  return done
}
