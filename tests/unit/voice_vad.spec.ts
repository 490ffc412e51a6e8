import { test } from '@japa/runner'
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { decodeAudio, detectSpeech, type SpeechRange } from '#worker/voice/vad'

/*
 * Real speech from espeak-ng, real noise from sox, put together at known places:
 *   10 s silence | Russian speech (~6 s) | 10 s white noise | Kazakh speech (~4 s) | 5 s silence
 * espeak's own leading and trailing silence is trimmed off, so each speech file's duration is
 * exactly where the voice is.
 */
const run = promisify(execFile)
let dir = ''
const file = (name: string) => join(dir, name)

async function sox(...args: string[]) {
  await run('sox', args)
}
async function duration(name: string) {
  const { stdout } = await run('soxi', ['-D', file(name)])
  return Number(stdout.trim())
}
/** Speech from espeak-ng, trimmed of its own silence, as 16 kHz mono. */
async function speak(name: string, voice: string, text: string) {
  await run('espeak-ng', ['-v', voice, '-w', file(`raw-${name}`), text])
  await sox(file(`raw-${name}`), '-r', '16000', '-c', '1', file(name), 'silence', '1', '0.1', '1%', 'reverse', 'silence', '1', '0.1', '1%', 'reverse')
  return duration(name)
}
const noise = (name: string, seconds: number, volume = 0.05) =>
  sox('-n', '-r', '16000', '-c', '1', file(name), 'synth', String(seconds), 'whitenoise', 'vol', String(volume))
const silence = (name: string, seconds: number) => sox('-n', '-r', '16000', '-c', '1', file(name), 'trim', '0', String(seconds))

/** Where the speech really is in mix.wav, in seconds. */
let truth: SpeechRange[] = []
let total = 0

/** Seconds of `truth` covered by `found`, and seconds of `found` outside `truth`. */
function score(found: SpeechRange[]) {
  const overlap = (a: SpeechRange, b: SpeechRange) => Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start))
  const speech = truth.reduce((sum, t) => sum + t.end - t.start, 0)
  const hit = truth.reduce((sum, t) => sum + found.reduce((s, f) => s + overlap(t, f), 0), 0)
  const detected = found.reduce((sum, f) => sum + f.end - f.start, 0)
  return { recall: hit / speech, falseAlarm: detected - hit }
}

function assertNearTruth(assert: any, found: SpeechRange[], tolerance: number) {
  assert.lengthOf(found, truth.length, `ranges found: ${JSON.stringify(found)}, spoken: ${JSON.stringify(truth)}`)
  found.forEach((range, i) => {
    assert.closeTo(range.start, truth[i].start, tolerance, `start of speech ${i + 1}: ${JSON.stringify(found)}`)
    assert.closeTo(range.end, truth[i].end, tolerance, `end of speech ${i + 1}: ${JSON.stringify(found)}`)
  })
}

test.group('Voice analysis', (group) => {
  group.setup(async () => {
    dir = await mkdtemp(join(tmpdir(), 'voice-vad-'))
    const first = await speak(
      'ru.wav',
      'ru',
      'Добрый день. Меня зовут Иван. Я сдаю экзамен по математике. Сейчас я решаю вторую задачу.'
    )
    const second = await speak('kk.wav', 'kk', 'Сәлеметсіз бе. Үшінші сұрақтың жауабын айтып жіберші.')
    await silence('silence10.wav', 10)
    await silence('silence5.wav', 5)
    await noise('noise10.wav', 10)
    await sox(...['silence10.wav', 'ru.wav', 'noise10.wav', 'kk.wav', 'silence5.wav'].map(file), file('mix.wav'))
    truth = [
      { start: 10, end: 10 + first },
      { start: 20 + first, end: 20 + first + second },
    ]
    total = 25 + first + second
    await run('ffmpeg', ['-v', 'error', '-y', '-i', file('mix.wav'), '-c:a', 'libopus', '-b:a', '24k', file('mix.webm')])
    return () => rm(dir, { recursive: true, force: true })
  })

  test('each stretch of speech is found within a second of where it was spoken', async ({ assert }) => {
    const pcm = await decodeAudio(file('mix.wav'))
    assert.closeTo(pcm.length / 16_000, total, 0.01)
    const found = await detectSpeech(pcm)
    assertNearTruth(assert, found, 1)
    const { recall, falseAlarm } = score(found)
    assert.isAtLeast(recall, 0.9)
    assert.isBelow(falseAlarm, 1.5)
  }).timeout(60_000)

  test('a WebM/Opus recording of the same audio gives the same ranges', async ({ assert }) => {
    const fromWav = await detectSpeech(await decodeAudio(file('mix.wav')))
    const pcm = await decodeAudio(file('mix.webm'))
    assert.closeTo(pcm.length / 16_000, total, 0.1)
    const fromWebm = await detectSpeech(pcm)
    assert.lengthOf(fromWebm, fromWav.length, JSON.stringify({ fromWav, fromWebm }))
    fromWebm.forEach((range, i) => {
      assert.closeTo(range.start, fromWav[i].start, 0.5)
      assert.closeTo(range.end, fromWav[i].end, 0.5)
    })
    assertNearTruth(assert, fromWebm, 1)
  }).timeout(60_000)

  test('noise alone is not taken for speech', async ({ assert }) => {
    await noise('noise30.wav', 30, 0.1)
    assert.deepEqual(await detectSpeech(await decodeAudio(file('noise30.wav'))), [])
  }).timeout(60_000)

  test('silence alone is not taken for speech', async ({ assert }) => {
    await silence('silence30.wav', 30)
    assert.deepEqual(await detectSpeech(await decodeAudio(file('silence30.wav'))), [])
  }).timeout(60_000)

  test('speech over steady background noise is still found', async ({ assert }) => {
    await noise('hiss.wav', total, 0.2)
    await sox('-m', file('mix.wav'), file('hiss.wav'), file('noisy.wav'))
    assertNearTruth(assert, await detectSpeech(await decodeAudio(file('noisy.wav'))), 1)
  }).timeout(60_000)

  test('a part of a recording can be analysed on its own, with times from the start of that part', async ({ assert }) => {
    const pcm = await decodeAudio(file('mix.webm'), { startSeconds: 5, durationSeconds: 10 + truth[0].end - truth[0].start })
    assert.closeTo(pcm.length / 16_000, 10 + truth[0].end - truth[0].start, 0.1)
    const found = await detectSpeech(pcm)
    assert.lengthOf(found, 1, JSON.stringify(found))
    assert.closeTo(found[0].start, truth[0].start - 5, 1)
    assert.closeTo(found[0].end, truth[0].end - 5, 1)
  }).timeout(60_000)

  test('a recording without sound gives no speech instead of failing', async ({ assert }) => {
    await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=black:s=64x48:d=2', '-c:v', 'libvpx', file('video-only.webm')])
    const pcm = await decodeAudio(file('video-only.webm'))
    assert.equal(pcm.length, 0)
    assert.deepEqual(await detectSpeech(pcm), [])
  }).timeout(60_000)

  test('a broken file is reported, not read as silence', async ({ assert }) => {
    await writeFile(file('broken.webm'), 'not a recording')
    await assert.rejects(() => decodeAudio(file('broken.webm')), /ffmpeg failed to decode/)
  }).timeout(60_000)
})
