import { test } from '@japa/runner'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { deflateSync } from 'node:zlib'
import env from '#start/env'
import IdentityCheck from '#models/identity_check'
import ProctoringSession from '#models/proctoring_session'
import { photosDir } from '#config/paths'
import { examWithCandidate } from '#tests/helpers/fixtures'
import { openStudentLink } from '#tests/helpers/http'
import { AppServer } from '#tests/helpers/app_server'

const run = promisify(execFile)
const MEDIA = join(process.cwd(), 'tmp/media')
const SAMPLE3 = join(process.cwd(), 'node_modules/@vladmandic/face-api/demo/sample3.jpg')

/** One person of face-api's sample3.jpg, made with ffmpeg at `width` x `height` in `format`. */
async function facePhoto(width: number, height: number, extension: 'jpg' | 'png') {
  await mkdir(MEDIA, { recursive: true })
  const out = join(MEDIA, `face-${width}x${height}.${extension}`)
  if (!existsSync(out)) {
    await run('ffmpeg', ['-v', 'error', '-y', '-i', SAMPLE3, '-vf', `crop=720:540:336:165,scale=${width}:${height}`, '-frames:v', '1', '-q:v', '2', out])
  }
  return readFile(out)
}

/** A valid 74-byte PNG whose header says 60000 x 60000 pixels (10 GB once unpacked). */
function pngClaiming(width: number, height: number) {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
    const length = Buffer.alloc(4)
    length.writeUInt32BE(data.length)
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(body))
    return Buffer.concat([length, body, crc])
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, 2, 0, 0, 0], 8) // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(1000))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

function crc32(bytes: Buffer) {
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

async function student(baseUrl = env.get('APP_URL')) {
  const { link } = await examWithCandidate()
  const config = await openStudentLink(baseUrl, link)
  const session = await ProctoringSession.findByOrFail('publicId', config.sessionId)
  const send = (kind: 'face' | 'document', body: Buffer, type: string, language = 'en') =>
    fetch(`${baseUrl}/api/student/sessions/${config.sessionId}/identity/${kind}`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${config.token}`, 'content-type': type, 'accept-language': language },
      body: new Uint8Array(body),
    })
  return { session, send, sessionId: config.sessionId, token: config.token }
}

/** Identity-check rows and photo files of a session: a refused photo leaves neither. */
async function kept(session: ProctoringSession) {
  const rows = await IdentityCheck.query().where('sessionId', session.id)
  const dir = join(photosDir, session.publicId)
  const files = existsSync(dir) ? await readdir(dir) : []
  return { rows: rows.length, files }
}

test.group('Identity photos', () => {
  test('HTML labelled image/jpeg is refused with PHOTO_TYPE_INVALID and stores nothing', async ({ assert }) => {
    const { session, send } = await student()
    const html = Buffer.from('<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>')
    for (const kind of ['face', 'document'] as const) {
      const response = await send(kind, html, 'image/jpeg')
      assert.equal(response.status, 415)
      const { error } = await response.json()
      assert.equal(error.code, 'PHOTO_TYPE_INVALID')
      assert.include(error.message, 'JPEG, PNG')
    }
    assert.deepEqual(await kept(session), { rows: 0, files: [] })
  })

  test('a truncated PNG is refused with PHOTO_CORRUPT and stores nothing', async ({ assert }) => {
    const { session, send } = await student()
    const png = await facePhoto(640, 480, 'png')
    for (const kind of ['face', 'document'] as const) {
      const response = await send(kind, png.subarray(0, Math.floor(png.length / 2)), 'image/png', 'kk')
      assert.equal(response.status, 422)
      const { error } = await response.json()
      assert.equal(error.code, 'PHOTO_CORRUPT')
      assert.include(error.message, 'Суретті оқу мүмкін болмады')
    }
    assert.deepEqual(await kept(session), { rows: 0, files: [] })
  }).timeout(120_000)

  test('a PNG claiming 60000x60000 is refused before decoding and stores nothing', async ({ assert }) => {
    const { session, send } = await student()
    const response = await send('face', pngClaiming(60000, 60000), 'image/png', 'ru')
    assert.equal(response.status, 422)
    const { error } = await response.json()
    assert.equal(error.code, 'PHOTO_DIMENSIONS_TOO_LARGE')
    assert.include(error.message, 'Фото слишком большое')
    assert.deepEqual(await kept(session), { rows: 0, files: [] })
  })

  test('a sound face photo is judged and kept with its verdict', async ({ assert }) => {
    const { session, send } = await student()
    const response = await send('face', await facePhoto(640, 480, 'jpg'), 'image/jpeg')
    assert.equal(response.status, 201)
    assert.equal((await response.json()).result, 'accepted')
    const { rows, files } = await kept(session)
    assert.equal(rows, 1)
    assert.lengthOf(files, 1)
    assert.match(files[0], /^face-\d+\.jpg$/)
  }).timeout(120_000)

  test('health answers while a face photo is being judged', async ({ assert }) => {
    /*
     * The app in its own process, as in production, so that this test's own event loop does not
     * matter; one web process, so that /health cannot be answered by another one.
     */
    const server = await AppServer.start({ WEB_PROCESSES: '1' })
    try {
      const { send, sessionId, token } = await student(server.url)
      /* The first photo loads the face model; the second one is judged by a model already in memory. */
      const first = await send('face', await facePhoto(640, 480, 'jpg'), 'image/jpeg')
      assert.equal(first.status, 201, `${await first.text()}\n${server.output}`)
      const big = await facePhoto(4000, 3000, 'jpg')

      /* The photo is streamed, so the test knows when its last byte has been handed over. */
      let uploaded = false
      let offset = 0
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (offset >= big.length) {
            uploaded = true
            return controller.close()
          }
          controller.enqueue(new Uint8Array(big.subarray(offset, (offset += 64 * 1024))))
        },
      })
      let answered = false
      const photo = fetch(`${server.url}/api/student/sessions/${sessionId}/identity/face`, {
        method: 'POST',
        headers: { 'authorization': `Bearer ${token}`, 'content-type': 'image/jpeg' },
        body,
        duplex: 'half',
      } as RequestInit).finally(() => (answered = true))

      /*
       * /health asked again and again: how many answers come after the upload and before the
       * photo's? Storing the upload lets a few through even when the model then blocks the loop
       * (12 at most were seen with the model on the event loop); with the model in its own thread
       * they keep coming the whole time it judges (about 1500 on a loaded 2-core machine).
       */
      let whileJudged = 0
      while (!answered) {
        const afterUpload = uploaded
        const health = await fetch(`${server.url}/health`)
        assert.equal(health.status, 200)
        if (afterUpload && !answered) whileJudged++
      }
      const response = await photo
      assert.equal(response.status, 201)
      assert.equal((await response.json()).result, 'accepted')
      assert.isAtLeast(whileJudged, 100, `health answers between the photo's upload and its verdict: ${whileJudged}`)
    } finally {
      await server.stop()
    }
  }).timeout(180_000)
})
