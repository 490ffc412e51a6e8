import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { examVideo } from '../tests/helpers/exam_video.js'
import { run } from './lib.js'

/**
 * A one-hour webcam recording like the browser's (WebM, VP8 640x480 15 fps, a key frame
 * every 2 s, Opus): a 5-minute exam made from real photos and speech, repeated 12 times
 * without re-encoding. Cached in tmp/media.
 */
export async function hourRecording() {
  const target = 'tmp/media/bench-hour.webm'
  if (existsSync(target)) return target
  const five = await examVideo('bench-five-minutes', [
    { what: 'own', seconds: 60 },
    { what: 'empty', seconds: 20 },
    { what: 'own', seconds: 80 },
    { what: 'group', seconds: 20 },
    { what: 'own', seconds: 60 },
    { what: 'other', seconds: 20 },
    { what: 'own', seconds: 40 },
  ], 100)
  await mkdir('tmp/media', { recursive: true })
  const list = 'tmp/media/bench-hour.txt'
  await writeFile(list, Array.from({ length: 12 }, () => `file '${five.file.split('/').pop()}'`).join('\n'))
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', target])
  return target
}
