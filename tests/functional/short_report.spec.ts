import { test } from '@japa/runner'
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import db from '@adonisjs/lucid/services/db'
import app from '@adonisjs/core/services/app'
import Candidate from '#models/candidate'
import Exam from '#models/exam'
import AuditEntry from '#models/audit_entry'
import IdentityCheck from '#models/identity_check'
import Recording from '#models/recording'
import Attempt from '#models/attempt'
import { dataDir } from '#config/paths'
import { staffUser } from '#tests/helpers/fixtures'
import { WebClient } from '#tests/helpers/http'
import { analysisFinding, baseUrl, endedAfter, loggedIn, studentInExam } from '#tests/helpers/report'

const run = promisify(execFile)
const SHOTS = app.makePath('tmp/screenshots')

/** A finished session of «Әлібек Қанатұлы» with two findings: 80 % at a threshold of 70. */
async function finishedSession() {
  const { session, origin } = await studentInExam({ passThreshold: 70, weights: { voice_detected: 2 }, titleKk: 'Анатомия: аралық бақылау' })
  await Candidate.query().where('id', session.candidateId).update({ fullName: 'Әлібек Қанатұлы', iin: null })
  await analysisFinding(session, origin, 'no_face', 60, 120)
  await analysisFinding(session, origin, 'voice_detected', 300, 330)
  await endedAfter(session, origin, 600)
  session.violationCount = 1
  await session.save()
  return session
}

/** The PDF's text as pdftotext lays it out. */
async function pdfText(pdf: Buffer) {
  const folder = await mkdtemp(join(tmpdir(), 'short-report-'))
  try {
    await writeFile(join(folder, 'report.pdf'), pdf)
    const { stdout } = await run('pdftotext', ['-layout', join(folder, 'report.pdf'), '-'])
    return stdout.replace(/[ \t]+/g, ' ')
  } finally {
    await rm(folder, { recursive: true, force: true })
  }
}

test.group('Short report (issue 11, P5)', () => {
  test('the PDF holds the Kazakh name, the exam, the violation counts and the credibility, in the viewer\'s language, and its download is archived', async ({ assert }) => {
    const session = await finishedSession()
    /* The face photo taken at the start, as a WebP (which a PDF cannot hold as it is). */
    const photoPath = join('photos', `short-report-${session.publicId}.webp`)
    await mkdir(join(dataDir, 'photos'), { recursive: true })
    await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=640x480', '-frames:v', '1', join(dataDir, photoPath)])
    await IdentityCheck.create({ sessionId: session.id, kind: 'face', photoPath, result: 'accepted' })
    /* Its webcam recording, processed (6 minutes at 1 frame a second): each violation gets a frame of it. */
    const filePath = join('recordings', session.publicId, 'webcam.webm')
    await mkdir(join(dataDir, 'recordings', session.publicId), { recursive: true })
    await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=1:duration=360', '-c:v', 'libvpx', '-g', '5', '-b:v', '100k', join(dataDir, filePath)])
    const attempt = await Attempt.query().where('sessionId', session.id).firstOrFail()
    await Recording.create({ sessionId: session.id, attemptId: attempt.id, stream: 'webcam', mimeType: 'video/webm', chunkCount: 1, bytes: 1, status: 'ready', filePath, analysedChunks: 0, analysedSeconds: 0 } as any)
    const proctor = await loggedIn('proctor', 'kk')
    const response = await proctor.request(`/staff/sessions/${session.publicId}/short-report.pdf`)
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('content-type'), 'application/pdf')
    assert.include(response.headers.get('content-disposition') ?? '', "filename*=UTF-8''%D3%98")
    const pdf = Buffer.from(await response.arrayBuffer())
    assert.equal(pdf.subarray(0, 5).toString(), '%PDF-')
    const text = await pdfText(pdf)
    assert.include(text, 'Қысқа есеп')
    assert.include(text, 'Әлібек Қанатұлы')
    assert.include(text, 'Анатомия: аралық бақылау')
    assert.match(text, /Табылған бұзушылықтар 2\b/)
    assert.match(text, /Шекке есептелгені 1\b/)
    assert.match(text, /80 % \(шегі 70 %/)
    assert.match(text, /Бет суреті: \d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d · қабылданды/)
    /* Each violation with its kind and its range on the exam clock. */
    assert.match(text, /Бет жоқ 1:00–2:00/)
    assert.match(text, /Дауыс немесе шу 5:00–5:30/)

    /* Its pages, rendered as a reader would see them, kept to be looked at. */
    await mkdir(SHOTS, { recursive: true })
    const folder = await mkdtemp(join(tmpdir(), 'short-report-pages-'))
    await writeFile(join(folder, 'r.pdf'), pdf)
    await run('pdftoppm', ['-png', '-r', '80', join(folder, 'r.pdf'), join(SHOTS, 'short-report-pdf-kk')])
    const pages = (await readdir(SHOTS)).filter((name) => name.startsWith('short-report-pdf-kk'))
    assert.isAtLeast(pages.length, 1)
    /* The photo is in it, as an image of its own. */
    const { stdout: images } = await run('pdfimages', ['-list', join(folder, 'r.pdf')])
    assert.match(images, /\bimage\s+640\s+480\b|\bimage\s+480\s+360\b/)
    /* And a frame of the webcam for each of the two violations, under their kinds and ranges. */
    assert.lengthOf([...images.matchAll(/\bimage\s+320\s+240\b/g)], 2)
    assert.include(text, 'Бұзушылықтардың суреттері')
    assert.match(text, /Бет жоқ · 1:00–2:00/)
    await rm(folder, { recursive: true, force: true })

    const entry = await AuditEntry.query().where({ action: 'report.pdf', subjectType: 'session', subjectId: session.publicId }).first()
    assert.isNotNull(entry)
  })

  test('the print view shows the same report, offers the PDF, and opening it is archived', async ({ assert }) => {
    const session = await finishedSession()
    const auditor = await loggedIn('auditor', 'ru')
    const response = await auditor.request(`/staff/sessions/${session.publicId}/short-report`)
    assert.equal(response.status, 200)
    const html = await response.text()
    assert.include(html, 'Краткий отчёт')
    assert.include(html, 'Әлібек Қанатұлы')
    assert.match(html, /<dt>Найдено нарушений<\/dt><dd>2<\/dd>/)
    assert.match(html, /<td>Нет лица<\/td><td>1:00–2:00<\/td>/)
    assert.include(html, `href="/staff/sessions/${session.publicId}/short-report.pdf"`)
    assert.include(html, 'x-data="printPage"')
    const entry = await AuditEntry.query().where({ action: 'report.print', subjectId: session.publicId }).first()
    assert.equal(entry?.actorRole, 'auditor')
    /* The full report links to it. */
    const full = await (await auditor.request(`/staff/sessions/${session.publicId}`)).text()
    assert.include(full, `href="/staff/sessions/${session.publicId}/short-report"`)
  })

  test("a proctor limited to another exam gets neither the PDF nor the print view of this one, and nothing is archived", async ({ assert }) => {
    const session = await finishedSession()
    const other = await Exam.create({ title: 'Другой экзамен', durationMinutes: 30, violationLimit: 0, passThreshold: 70, reconnectWindowSeconds: 300, requiresScreen: true, requiresPhone: false, weights: {}, rules: { allowed: [], forbidden: [] } } as any)
    const { user, password } = await staffUser('proctor')
    await db.table('staff_scopes').insert({ user_id: user.id, exam_id: other.id, created_at: new Date().toISOString().replace('T', ' ').slice(0, 19) })
    const client = new WebClient(baseUrl(), 'en')
    await client.login(user.email, password)
    for (const path of ['short-report.pdf', 'short-report']) {
      const response = await client.request(`/staff/sessions/${session.publicId}/${path}`, { headers: { accept: 'application/json' } })
      assert.equal(response.status, 404, path)
      assert.equal((await response.json()).error.code, 'SESSION_NOT_FOUND')
    }
    const entries = await AuditEntry.query().whereIn('action', ['report.pdf', 'report.print']).where({ subjectId: session.publicId, userId: user.id })
    assert.lengthOf(entries, 0)
  })
})
