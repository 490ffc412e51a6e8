import { spawn } from 'node:child_process'
import { formatOfFile, inputArgs, type InputFormat } from './input.js'

export type Frame = { t: number; width: number; height: number; data: Uint8Array }

/**
 * The key frames of a recording's video, decoded by ffmpeg to RGB, each with its time in
 * seconds from the start of the recording. Only key frames are decoded (the browser makes
 * one every two seconds), which is what makes an exam-hour cheap: ~1800 frames, not 54 000.
 */
export async function* videoFrames(
  file: string,
  options: { width: number; height: number; format?: InputFormat }
): AsyncGenerator<Frame> {
  const { width, height } = options
  const args = [
    '-hide_banner', '-nostdin', '-v', 'info', '-threads', '1', '-skip_frame', 'nokey',
    '-copyts', ...inputArgs(file, options.format ?? formatOfFile(file)), '-map', '0:v:0', '-an', '-vf', `scale=${width}:${height},showinfo`, '-fps_mode', 'passthrough',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
  ]
  const ffmpeg = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const times: number[] = []
  let stderrTail = ''
  let partial = ''
  ffmpeg.stderr.setEncoding('utf8')
  ffmpeg.stderr.on('data', (text: string) => {
    stderrTail = (stderrTail + text).slice(-3000)
    const lines = (partial + text).split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) {
      const match = / pts_time:\s*(-?[\d.]+)/.exec(line)
      if (match && line.includes('showinfo')) times.push(Number(match[1]))
    }
  })
  const exited = new Promise<number>((resolve) => ffmpeg.once('close', (code) => resolve(code ?? 1)))

  const frameBytes = width * height * 3
  let buffer: Buffer = Buffer.alloc(0)
  let index = 0
  for await (const data of ffmpeg.stdout as AsyncIterable<Buffer>) {
    buffer = buffer.length ? Buffer.concat([buffer, data]) : data
    while (buffer.length >= frameBytes) {
      const frame = buffer.subarray(0, frameBytes)
      buffer = buffer.subarray(frameBytes)
      /* showinfo's line for a frame is written before the frame itself reaches the pipe. */
      for (let waited = 0; times.length <= index; waited++) {
        if (waited > 10_000) throw new Error('ffmpeg gave a frame without its time')
        await new Promise((resolve) => setImmediate(resolve))
      }
      yield { t: times[index++], width, height, data: new Uint8Array(frame) }
    }
  }
  const code = await exited
  if (code !== 0 && index === 0) throw new Error(`ffmpeg could not decode the video: ${stderrTail.trim().split('\n').slice(-3).join(' | ')}`)
}
