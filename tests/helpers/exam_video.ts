import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { join } from 'node:path'

const run = promisify(execFile)
const DIR = join(process.cwd(), 'tmp/media')
const SAMPLE3 = join(process.cwd(), 'node_modules/@vladmandic/face-api/demo/sample3.jpg')

/** Crops of face-api's sample3.jpg: the candidate (left), another person (middle), everyone. */
const PICTURES = {
  own: `crop=720:540:336:165`,
  other: `crop=600:450:870:60`,
  group: `null`,
}

/** The candidate's own face as a JPEG: what the student sent as the S4 photo. */
export async function candidatePhoto() {
  await mkdir(DIR, { recursive: true })
  const out = `${DIR}/candidate.jpg`
  if (!existsSync(out)) await run('ffmpeg', ['-v', 'error', '-y', '-i', SAMPLE3, '-vf', `${PICTURES.own},scale=640:480`, '-q:v', '3', out])
  return readFile(out)
}

export type Segment = { what: 'own' | 'other' | 'group' | 'empty'; seconds: number }

/** Seconds a WAV lasts once espeak-ng's own leading and trailing silence is cut. */
async function speech(words: string) {
  const raw = `${DIR}/speech-raw.wav`
  const trimmed = `${DIR}/speech-trimmed.wav`
  await run('espeak-ng', ['-v', 'ru', '-s', '150', '-w', raw, words])
  await run('sox', [raw, '-r', '48000', '-c', '1', trimmed, 'silence', '1', '0.05', '1%', 'reverse', 'silence', '1', '0.05', '1%', 'reverse'])
  const { stdout } = await run('soxi', ['-D', trimmed])
  return { file: trimmed, seconds: Number(stdout.trim()) }
}

/**
 * A webcam recording as the browser would make it (WebM, VP8 + Opus, a key frame every
 * 2 s), built from real photos segment by segment, over low room noise with one stretch
 * of speech starting at `speechAt`. Returns the file and where the speech really is.
 */
export async function examVideo(name: string, segments: Segment[], speechAt: number) {
  await mkdir(DIR, { recursive: true })
  const out = `${DIR}/${name}.webm`
  const total = segments.reduce((sum, s) => sum + s.seconds, 0)
  const voice = await speech('Слушай, какой ответ на третий вопрос? Я не помню формулу. Подскажи быстрее, пожалуйста.')
  if (!existsSync(out)) {
    const noise = `${DIR}/${name}-noise.wav`
    const mixed = `${DIR}/${name}-audio.wav`
    await run('sox', ['-n', '-r', '48000', '-c', '1', noise, 'synth', String(total), 'pinknoise', 'vol', '0.01'])
    await run('sox', ['-m', noise, '|sox ' + voice.file + ` -p pad ${speechAt} 0`, mixed, 'trim', '0', String(total)])
    const inputs: string[] = []
    const filters: string[] = []
    segments.forEach((segment, i) => {
      if (segment.what === 'empty') inputs.push('-f', 'lavfi', '-t', String(segment.seconds), '-i', 'color=c=gray:s=640x480:r=15')
      else inputs.push('-loop', '1', '-framerate', '15', '-t', String(segment.seconds), '-i', SAMPLE3)
      const crop = segment.what === 'empty' ? 'null' : PICTURES[segment.what]
      filters.push(`[${i}:v]${crop},scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=15,format=yuv420p[v${i}]`)
    })
    const concat = `${segments.map((_, i) => `[v${i}]`).join('')}concat=n=${segments.length}:v=1:a=0[v]`
    await run('ffmpeg', [
      '-v', 'error', '-y', ...inputs, '-i', mixed,
      '-filter_complex', `${filters.join(';')};${concat}`,
      '-map', '[v]', '-map', `${segments.length}:a`,
      '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '500k', '-g', '30', '-keyint_min', '30',
      '-c:a', 'libopus', '-b:a', '48k', '-t', String(total), '-f', 'webm', out,
    ], { maxBuffer: 1 << 24 })
  }
  return { file: out, speech: { start: speechAt, end: speechAt + voice.seconds }, total }
}

/** The recording cut in byte slices, as MediaRecorder hands it over in chunks. */
export async function sliceIntoChunks(file: string, bytes = 180_000) {
  const data = await readFile(file)
  const chunks: Buffer[] = []
  for (let at = 0; at < data.length; at += bytes) chunks.push(data.subarray(at, at + bytes))
  return chunks
}
