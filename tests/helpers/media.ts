import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { promisify } from 'node:util'
import app from '@adonisjs/core/services/app'

const run = promisify(execFile)
const MEDIA = app.makePath('tmp/media')

/**
 * A .y4m file for Chromium's fake camera (--use-file-for-fake-video-capture), made with
 * ffmpeg from a still picture, optionally cropped: the camera then "sees" that picture.
 */
async function cameraVideo(name: string, source: string, filter = 'null') {
  await mkdir(MEDIA, { recursive: true })
  const out = `${MEDIA}/${name}.y4m`
  if (existsSync(out)) return out
  await run('ffmpeg', [
    '-v', 'error', '-y', '-loop', '1', '-i', source, '-t', '2', '-r', '10',
    '-vf', `${filter},scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,format=yuv420p`,
    '-f', 'yuv4mpegpipe', out,
  ])
  return out
}

/** A plain grey picture: a camera that sees no one. */
export async function emptyCameraVideo() {
  await mkdir(MEDIA, { recursive: true })
  const out = `${MEDIA}/empty.y4m`
  if (!existsSync(out)) {
    await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=gray:s=640x480:r=10', '-t', '2', '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', out])
  }
  return out
}

/** Speech from espeak-ng mixed with a little noise: what a talking student sounds like. */
export async function speechAudio() {
  await mkdir(MEDIA, { recursive: true })
  const out = `${MEDIA}/speech.wav`
  if (!existsSync(out)) {
    const words = `${MEDIA}/words.wav`
    await run('espeak-ng', ['-v', 'ru', '-s', '150', '-w', words, 'Скажи мне, пожалуйста, какой ответ на третий вопрос. Я не знаю, что писать. Давай быстрее, время идёт. '.repeat(4)])
    await run('sox', [words, '-r', '48000', '-c', '1', out, 'gain', '-n', '-3'])
  }
  return out
}

/** One person (the woman on the left of face-api's sample3.jpg), framed as a webcam would. */
export function faceCameraVideo() {
  return cameraVideo('face-single', app.makePath('node_modules/@vladmandic/face-api/demo/sample3.jpg'), 'crop=720:540:336:165')
}

/** Three people in the picture. */
export function groupCameraVideo() {
  return cameraVideo('face-group', app.makePath('node_modules/@vladmandic/face-api/demo/sample3.jpg'))
}
