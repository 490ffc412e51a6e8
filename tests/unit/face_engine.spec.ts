import { test } from '@japa/runner'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { assessIdentityPhoto, getFaceEngine, similarity } from '#worker/face/face_engine'

/*
 * Real photos that ship in npm packages: face-api's demo group photos (3-5 people each) and
 * Human's face-match screenshot, whose first row is one man in different photos. Everything
 * else is cut or altered from those with ffmpeg.
 */
const require = createRequire(import.meta.url)
const faceApiDemo = join(dirname(dirname(require.resolve('@vladmandic/face-api'))), 'demo')
const humanAssets = join(dirname(dirname(require.resolve('@vladmandic/human'))), 'assets')
const groupPhotos = [1, 2, 3, 4, 5, 6].map((n) => join(faceApiDemo, `sample${n}.jpg`))
const faceMatch = join(humanAssets, 'screenshot-facematch.jpg')

const run = promisify(execFile)
let dir = ''

async function ffmpeg(name: string, args: string[]) {
  const out = join(dir, name)
  await run('ffmpeg', ['-v', 'error', '-y', ...args, '-frames:v', '1', out])
  return readFile(out)
}

/** One ~100-pixel face of the face-match screenshot (row, column), enlarged 2x on a grey margin. */
function tile(name: string, row: number, column: number) {
  const x = Math.round(column * 106.67) + 1
  const y = [282, 393, 504][row]
  return ffmpeg(name, ['-i', faceMatch, '-vf', `crop=104:104:${x}:${y},scale=208:208,pad=416:416:104:104:gray`])
}

/** The right-hand woman of sample1, alone in a 640x480 frame, as a webcam would show her. */
let portrait: Buffer
const portraitFile = () => join(dir, 'portrait.jpg')

/** A JPEG with an EXIF block that says "turn 90 degrees clockwise to show" (orientation 6). */
function withOrientation6(jpeg: Buffer) {
  const tiff = Buffer.from([
    0x4d, 0x4d, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x08, // big-endian TIFF, first directory at 8
    0x00, 0x01, // one entry
    0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00, // Orientation SHORT 6
    0x00, 0x00, 0x00, 0x00, // no next directory
  ])
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff])
  const header = Buffer.from([0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 0xff])
  return Buffer.concat([jpeg.subarray(0, 2), header, body, jpeg.subarray(2)])
}

test.group('Face engine', (group) => {
  group.setup(async () => {
    dir = await mkdtemp(join(tmpdir(), 'face-engine-'))
    portrait = await ffmpeg('portrait.jpg', ['-i', groupPhotos[0], '-vf', 'crop=640:480:1280:100', '-q:v', '3'])
    return () => rm(dir, { recursive: true, force: true })
  })

  test('every face of a group photo is counted and such a photo is refused as an ID photo', async ({ assert }) => {
    let total = 0
    for (const file of groupPhotos) {
      const photo = await readFile(file)
      const result = await assessIdentityPhoto(photo)
      assert.isAbove(result.faces, 1, file)
      assert.isFalse(result.ok)
      assert.equal(result.reason, 'MANY_FACES', file)
      total += result.faces
    }
    /* The six photos show 22 people; none of them is missed or counted twice. */
    assert.equal(total, 22)
  }).timeout(60_000)

  test('a blank picture has no face, and a black one is called too dark', async ({ assert }) => {
    const gray = await ffmpeg('gray.jpg', ['-f', 'lavfi', '-i', 'color=gray:s=640x480'])
    const engine = await getFaceEngine()
    assert.lengthOf((await engine.detect(gray)).faces, 0)
    assert.containsSubset(await assessIdentityPhoto(gray), { ok: false, reason: 'NO_FACE', faces: 0 })
    const black = await ffmpeg('black.png', ['-f', 'lavfi', '-i', 'color=black:s=640x480'])
    assert.containsSubset(await assessIdentityPhoto(black), { ok: false, reason: 'TOO_DARK', faces: 0 })
  }).timeout(60_000)

  test('one clear face is accepted as an ID photo, with its embedding', async ({ assert }) => {
    const result = await assessIdentityPhoto(portrait)
    assert.isTrue(result.ok, JSON.stringify(result.measures))
    assert.equal(result.faces, 1)
    assert.isUndefined(result.reason)
    assert.lengthOf(result.embedding ?? [], 1024)
  }).timeout(60_000)

  test('the same face too small, too dark or blurred is refused with the reason', async ({ assert }) => {
    const far = await ffmpeg('far.jpg', ['-i', portraitFile(), '-vf', 'pad=2400:1800:0:0:white'])
    const dark = await ffmpeg('dark.jpg', ['-i', portraitFile(), '-vf', 'lutrgb=r=val/4:g=val/4:b=val/4'])
    const blurred = await ffmpeg('blurred.jpg', ['-i', portraitFile(), '-vf', 'gblur=sigma=6'])
    assert.containsSubset(await assessIdentityPhoto(far), { ok: false, reason: 'FACE_TOO_SMALL', faces: 1 })
    assert.containsSubset(await assessIdentityPhoto(dark), { ok: false, reason: 'TOO_DARK', faces: 1 })
    assert.containsSubset(await assessIdentityPhoto(blurred), { ok: false, reason: 'BLURRY', faces: 1 })
  }).timeout(60_000)

  test('the same man in two photos is more alike than different people', async ({ assert }) => {
    const engine = await getFaceEngine()
    const embedding = async (photo: Buffer) => {
      const { faces } = await engine.detect(photo, { embeddings: true })
      assert.lengthOf(faces, 1)
      return faces[0].embedding!
    }
    const man = await embedding(await tile('man-1.jpg', 0, 0))
    const sameMan = await embedding(await tile('man-2.jpg', 0, 1))
    const woman = await embedding(await tile('woman.jpg', 2, 1))
    const group = await engine.detect(await readFile(groupPhotos[0]), { embeddings: true })
    const [a, b, c] = group.faces.map((face) => face.embedding!)

    const same = similarity(man, sameMan)
    const different = [similarity(man, woman), similarity(sameMan, woman), similarity(a, b), similarity(a, c), similarity(b, c)]
    assert.isAbove(same, 0.6)
    for (const value of different) assert.isBelow(value, 0.5)
    assert.equal(similarity(man, man), 1)
  }).timeout(60_000)

  test('raw RGB and RGBA frames from ffmpeg are read like the JPEG they came from', async ({ assert }) => {
    const engine = await getFaceEngine()
    const fromJpeg = await engine.detect(portrait)
    for (const format of ['rgb24', 'rgba']) {
      const { stdout } = await run(
        'ffmpeg',
        ['-v', 'error', '-i', portraitFile(), '-f', 'rawvideo', '-pix_fmt', format, '-'],
        { encoding: 'buffer', maxBuffer: 1 << 24 }
      )
      const frame = await engine.detect({ data: stdout, width: 640, height: 480 })
      assert.lengthOf(frame.faces, 1, format)
      frame.faces[0].box.forEach((value, i) => assert.closeTo(value, fromJpeg.faces[0].box[i], 4, format))
      assert.isNumber(frame.faces[0].yaw)
      assert.isNumber(frame.faces[0].pitch)
    }
  }).timeout(60_000)

  test('a phone photo stored sideways is turned upright by its EXIF orientation', async ({ assert }) => {
    const stored = await ffmpeg('sideways.jpg', ['-i', portraitFile(), '-vf', 'transpose=2'])
    const engine = await getFaceEngine()
    const upright = await engine.detect(portrait)
    const turned = await engine.detect(withOrientation6(stored))
    assert.deepEqual([turned.width, turned.height], [640, 480])
    assert.lengthOf(turned.faces, 1)
    turned.faces[0].box.forEach((value, i) => assert.closeTo(value, upright.faces[0].box[i], 8))
  }).timeout(60_000)

  test('calls made at the same time share one engine and each get their own answer', async ({ assert }) => {
    const [first, second] = await Promise.all([getFaceEngine(), getFaceEngine()])
    assert.strictEqual(first, second)
    const photos = [await readFile(groupPhotos[0]), portrait]
    const counts = await Promise.all([0, 1, 0, 1].map(async (i) => (await first.detect(photos[i])).faces.length))
    assert.deepEqual(counts, [3, 1, 3, 1])
    assert.include(['wasm', 'tensorflow'], first.backend.name)
  }).timeout(60_000)

  test('a file that is not a picture is refused with an error, not a crash', async ({ assert }) => {
    const engine = await getFaceEngine()
    await assert.rejects(() => engine.detect(Buffer.from('%PDF-1.7 not an image')), /not a JPEG or PNG/)
    await assert.rejects(() => engine.detect(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2])), /unreadable JPEG/)
    await assert.rejects(() => engine.detect({ data: new Uint8Array(10), width: 640, height: 480 }), /neither RGB nor RGBA/)
  })
})
