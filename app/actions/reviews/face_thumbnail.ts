import { execFile } from 'node:child_process'
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { dataDir } from '#config/paths'

const run = promisify(execFile)

/** Thumbnails are small squares, made once per photo and kept beside the photos. */
export const THUMB_SIDE = 80
export const thumbsDir = () => join(dataDir, 'thumbs')

/** One build at a time per photo in this process (a page of 100 rows asks for each once). */
const building = new Map<number, Promise<string>>()

async function exists(path: string) {
  try {
    return (await stat(path)).size > 0
  } catch {
    return false
  }
}

/**
 * The path of a face photo's thumbnail (a THUMB_SIDE-pixel JPEG square, the middle of the
 * photo), made with ffmpeg the first time it is asked for, then served from disk.
 */
export async function faceThumbnail(checkId: number, photoPath: string): Promise<string> {
  const target = join(thumbsDir(), `${checkId}.jpg`)
  if (await exists(target)) return target
  const pending = building.get(checkId)
  if (pending) return pending
  const job = (async () => {
    await mkdir(thumbsDir(), { recursive: true })
    const temp = `${target}.${process.pid}.tmp.jpg`
    try {
      await run('ffmpeg', [
        '-v', 'error', '-y', '-i', join(dataDir, photoPath),
        '-vf', `scale=${THUMB_SIDE}:${THUMB_SIDE}:force_original_aspect_ratio=increase,crop=${THUMB_SIDE}:${THUMB_SIDE}`,
        '-frames:v', '1', '-q:v', '5', temp,
      ], { timeout: 15_000 })
      await rename(temp, target)
    } finally {
      await rm(temp, { force: true })
    }
    return target
  })()
  building.set(checkId, job)
  try {
    return await job
  } finally {
    building.delete(checkId)
  }
}
