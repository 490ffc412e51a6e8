import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { decodeAudio, detectSpeech } from './vad.js'
import { formatOfFile, inputOptions, inputPath } from '../transcode/input.js'

const run = promisify(execFile)

/** Time (seconds from the recording's start) of a file's first audio packet. */
export async function audioStartSeconds(file: string) {
  const { stdout } = await run('ffprobe', [
    '-v', 'error', '-select_streams', 'a:0', '-read_intervals', '%+#1',
    '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', ...inputOptions(formatOfFile(file)), inputPath(file),
  ])
  const value = Number.parseFloat(stdout.trim().split('\n')[0])
  return Number.isFinite(value) ? value : 0
}

/** A4: speech in a recording's audio, as ranges in seconds from the recording's start. */
export async function detectVoice(file: string, startSeconds: number) {
  const pcm = await decodeAudio(file)
  if (pcm.length === 0) return []
  const ranges = await detectSpeech(pcm)
  return ranges.map((r) => ({ start: r.start + startSeconds, end: r.end + startSeconds }))
}
