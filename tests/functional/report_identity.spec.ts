import { test } from '@japa/runner'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import AuditEntry from '#models/audit_entry'
import IdentityCheck from '#models/identity_check'
import { baseUrl, loggedIn, studentInExam, testId } from '#tests/helpers/report'

const run = promisify(execFile)
const MEDIA = join(process.cwd(), 'tmp/media')
const SAMPLE3 = join(process.cwd(), 'node_modules/@vladmandic/face-api/demo/sample3.jpg')

/** A picture made with ffmpeg from one person of face-api's sample3.jpg (or a blank card). */
async function picture(name: string, filter: string, input = SAMPLE3) {
  await mkdir(MEDIA, { recursive: true })
  const out = join(MEDIA, name)
  if (!existsSync(out)) await run('ffmpeg', ['-v', 'error', '-y', '-i', input, '-vf', filter, '-frames:v', '1', '-q:v', '2', out])
  return readFile(out)
}

/** The face photo at the start, and an "ID card": the same person's portrait small on a light card. */
const facePhoto = () => picture('face-640x480.jpg', 'crop=720:540:336:165,scale=640:480')
const idCard = () => picture('id-card-640x400.jpg', 'crop=720:540:336:165,scale=240:180,pad=640:400:30:110:color=0xe8eef5')
const blankCard = () => picture('id-card-blank-640x400.jpg', 'scale=640:400,drawbox=x=0:y=0:w=640:h=400:color=0xe8eef5:t=fill')

async function upload(student: { sessionId: string; token: string }, kind: 'face' | 'document', body: Buffer) {
  const response = await fetch(`${baseUrl()}/api/student/sessions/${student.sessionId}/identity/${kind}`, {
    method: 'POST',
    headers: { 'authorization': `Bearer ${student.token}`, 'content-type': 'image/jpeg' },
    body: new Uint8Array(body),
  })
  if (response.status >= 300) throw new Error(`the ${kind} photo was refused: ${response.status} ${await response.text()}`)
}

test.group('Report: identity', () => {
  test('the face photo and the ID photo side by side with the similarity of the ID portrait to the face', async ({ assert }) => {
    const { student, session } = await studentInExam()
    await upload(student, 'face', await facePhoto())
    await upload(student, 'document', await idCard())
    const [face, document] = await Promise.all(
      (['face', 'document'] as const).map((kind) => IdentityCheck.query().where({ sessionId: session.id, kind }).firstOrFail())
    )
    const proctor = await loggedIn('proctor')
    const page = await (await proctor.request(`/staff/sessions/${session.publicId}`)).text()
    assert.include(page, `<img src="/staff/photos/${face.id}"`)
    assert.include(page, `<img src="/staff/photos/${document.id}"`)
    const similarity = /matches the face: (\d+) %/.exec(testId(page, 'similarity') ?? '')
    assert.isNotNull(similarity, testId(page, 'similarity') ?? 'no similarity shown')
    assert.isAbove(Number(similarity![1]), 50)
    assert.isNull(testId(page, 'document-no-face'))

    /* The photo itself, archived as a photo viewing before it is sent. */
    const photo = await proctor.request(`/staff/photos/${document.id}`)
    assert.equal(photo.status, 200)
    assert.equal(photo.headers.get('content-type'), 'image/jpeg')
    assert.deepEqual(Buffer.from(await photo.arrayBuffer()), await idCard())
    const entry = await AuditEntry.query().where({ action: 'photo.view', subjectType: 'photo', subjectId: String(document.id) }).first()
    assert.isNotNull(entry)
  })

  test('a document photo without a face is flagged for the proctor', async ({ assert }) => {
    const { student, session } = await studentInExam()
    await upload(student, 'face', await facePhoto())
    await upload(student, 'document', await blankCard())
    const proctor = await loggedIn('proctor', 'ru')
    const page = await (await proctor.request(`/staff/sessions/${session.publicId}`)).text()
    assert.equal(testId(page, 'document-no-face'), 'На фото документа не найдено лицо: проверьте вручную.')
    assert.equal(testId(page, 'similarity'), 'Сходство не измерено')
  })
})
