import { execFile } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { promisify } from 'node:util'
import ffmpeg from 'fluent-ffmpeg'
import type { ContainerFormat } from '#services/media_container'
import { chunkStream, type ChunkLocation } from '#services/chunk_files'
import { dataDir } from '#config/paths'
import { formatOfFile, inputOptions, inputPath, type InputFormat } from './input.js'

/** Writes the chunks end to end into one file: MediaRecorder chunks form one stream. */
export async function concatenate(chunks: ChunkLocation[], target: string) {
  await mkdir(dirname(target), { recursive: true })
  /* One pipeline for them all (a pipeline per chunk into one open stream leaves a listener behind each time). */
  await pipeline(async function* () {
    for (const chunk of chunks) yield* chunkStream(dataDir, chunk)
  }, createWriteStream(target))
}

function run(command: ffmpeg.FfmpegCommand) {
  return new Promise<void>((resolve, reject) => {
    let stderr = ''
    command
      .on('stderr', (line: string) => (stderr = (stderr + '\n' + line).slice(-2000)))
      .on('error', (error: Error) => {
        /* ffmpeg's last words say what was wrong; its banner does not. */
        const last = stderr.trim().split('\n').filter((line) => line && !line.startsWith(' ') && !line.startsWith('--')).slice(-2)
        reject(new Error(`ffmpeg failed: ${last.join(' | ') || error.message}`))
      })
      .on('end', () => resolve())
      .run()
  })
}

/** A command reading `source` as `format` only (see `inputArgs`). */
function reading(source: string, format: InputFormat) {
  return ffmpeg(inputPath(source)).inputOptions(inputOptions(format))
}

export async function probeDuration(file: string) {
  let stdout: string
  try {
    ;({ stdout } = await promisify(execFile)('ffprobe', [
      '-v', 'error', ...inputOptions(formatOfFile(file)), '-show_entries', 'format=duration', '-of', 'json', inputPath(file),
    ]))
  } catch (error) {
    throw new Error(`ffprobe failed: ${String((error as { stderr?: string }).stderr ?? error).trim().split('\n').at(-1)}`)
  }
  const duration = Number(JSON.parse(stdout)?.format?.duration)
  return Number.isFinite(duration) ? duration : null
}

/**
 * Turns a recorded stream into a seekable file without re-encoding: WebM gets its cues
 * and duration, MP4 its index at the front (faststart). The result appears atomically.
 */
export async function remux(source: string, format: ContainerFormat, target: string) {
  const partial = `${target}.part`
  const mp4 = target.endsWith('.mp4')
  try {
    await run(
      reading(source, format)
        .outputOptions(['-map 0', '-c copy', ...(mp4 ? ['-movflags +faststart', '-f mp4'] : ['-f webm'])])
        .output(partial)
    )
    await rename(partial, target)
  } finally {
    await rm(partial, { force: true })
  }
}

let encoderChoice: Promise<string[]> | undefined

/**
 * The H.264 encoder to use when a recording must be re-encoded: NVENC where ffmpeg has it
 * and an NVIDIA GPU answers, the software encoder otherwise. Decided once per process.
 */
export function videoEncoder() {
  encoderChoice ??= (async () => {
    const encoders = await new Promise<string>((resolve) =>
      execFile('ffmpeg', ['-hide_banner', '-encoders'], (_error, stdout) => resolve(stdout ?? ''))
    )
    const gpu = await new Promise<boolean>((resolve) => execFile('nvidia-smi', ['-L'], (error) => resolve(!error)))
    return encoders.includes('h264_nvenc') && gpu
      ? ['-c:v', 'h264_nvenc', '-preset', 'p4', '-cq', '28']
      : ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '28']
  })()
  return encoderChoice
}

/**
 * A seekable MP4 by re-encoding, for recordings whose stream cannot be copied as it is
 * (a damaged container, an unusual codec). Slower than `remux`, so only a fallback.
 */
export async function encode(source: string, format: ContainerFormat, target: string) {
  const partial = `${target}.part`
  try {
    await run(
      reading(source, format)
        .outputOptions(['-map 0:v:0?', '-map 0:a:0?', ...(await videoEncoder()), '-pix_fmt yuv420p', '-c:a aac', '-b:a 64k', '-movflags +faststart', '-f mp4'])
        .output(partial)
    )
    await rename(partial, target)
  } finally {
    await rm(partial, { force: true })
  }
}

/** One still frame, for lists and reports. */
export async function thumbnail(source: string, target: string, atSeconds: number) {
  await run(reading(source, formatOfFile(source)).seekInput(atSeconds).outputOptions(['-frames:v 1', '-vf scale=320:-2', '-q:v 4']).output(target))
}
