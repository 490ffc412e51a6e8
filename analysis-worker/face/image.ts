import jpeg from 'jpeg-js'
import pngjs from 'pngjs'

/**
 * Pixels as the face engine takes them: 8-bit RGB (3 bytes a pixel) or RGBA (4), row after
 * row, no padding. ffmpeg's `-f rawvideo -pix_fmt rgb24` gives exactly this.
 */
export interface RawImage {
  data: Uint8Array
  width: number
  height: number
}

/** Always 3 bytes a pixel. */
export interface RgbImage extends RawImage {
  channels: 3
}

/** Larger pictures are refused before their pixels are unpacked (a 5 kB file can claim 60000x60000). */
export const MAX_PIXELS = 40_000_000

export class ImageDecodeError extends Error {}

/**
 * JPEG or PNG bytes to RGB pixels, in pure JavaScript (jpeg-js, pngjs): the wasm build of tfjs
 * has no image decoder (tf.node.decodeImage is in the native tfjs-node only) and Human decodes
 * through a canvas, which Node lacks. A JPEG's EXIF orientation is applied, so a phone photo
 * stored sideways is read upright.
 */
export function decodeImage(bytes: Uint8Array): RgbImage {
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    let decoded
    try {
      decoded = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: false,
        maxResolutionInMP: MAX_PIXELS / 1e6,
        maxMemoryUsageInMB: 1024,
      })
    } catch (error) {
      throw new ImageDecodeError(`unreadable JPEG: ${(error as Error).message ?? error}`)
    }
    const image: RgbImage = { data: decoded.data, width: decoded.width, height: decoded.height, channels: 3 }
    return orient(image, jpegOrientation(bytes))
  }
  if (bytes.length > 24 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const width = view.getUint32(16)
    const height = view.getUint32(20)
    if (!width || !height || width * height > MAX_PIXELS) throw new ImageDecodeError(`PNG too large: ${width}x${height}`)
    let png
    try {
      png = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    } catch (error) {
      throw new ImageDecodeError(`unreadable PNG: ${(error as Error).message ?? error}`)
    }
    /* pngjs always gives 8-bit RGBA; transparent parts are laid on white. */
    return toRgb({ data: png.data, width: png.width, height: png.height }, 255)
  }
  throw new ImageDecodeError('not a JPEG or PNG image')
}

/** Raw RGB or RGBA pixels to RGB (the alpha channel laid over `background`). */
export function toRgb(image: RawImage, background = 0): RgbImage {
  const { data, width, height } = image
  const pixels = width * height
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new ImageDecodeError(`bad image size ${width}x${height}`)
  }
  if (data.length === pixels * 3) return { data, width, height, channels: 3 }
  if (data.length !== pixels * 4) {
    throw new ImageDecodeError(`${data.length} bytes is neither RGB nor RGBA for ${width}x${height}`)
  }
  const rgb = new Uint8Array(pixels * 3)
  for (let i = 0, j = 0; i < pixels; i++, j += 4) {
    const alpha = data[j + 3]
    for (let c = 0; c < 3; c++) {
      rgb[i * 3 + c] = alpha === 255 ? data[j + c] : Math.round((data[j + c] * alpha + background * (255 - alpha)) / 255)
    }
  }
  return { data: rgb, width, height, channels: 3 }
}

/** The EXIF orientation (1-8) of a JPEG, 1 when it has none. */
export function jpegOrientation(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let offset = 2
  while (offset + 4 <= bytes.length && bytes[offset] === 0xff) {
    const marker = bytes[offset + 1]
    if (marker === 0xda || marker === 0xd9) break // start of scan: no more metadata
    const length = view.getUint16(offset + 2)
    const start = offset + 4
    if (marker === 0xe1 && length >= 16 && view.getUint32(start) === 0x45786966 /* Exif */) {
      try {
        const tiff = start + 6
        const little = view.getUint16(tiff) === 0x4949
        const ifd = tiff + view.getUint32(tiff + 4, little)
        const entries = view.getUint16(ifd, little)
        for (let i = 0; i < entries; i++) {
          const entry = ifd + 2 + i * 12
          if (view.getUint16(entry, little) === 0x0112) {
            const value = view.getUint16(entry + 8, little)
            return value >= 1 && value <= 8 ? value : 1
          }
        }
      } catch {
        return 1 // a truncated EXIF block: ignore it, as viewers do
      }
      return 1
    }
    offset = start + length - 2
  }
  return 1
}

/** Turns pixels stored with EXIF orientation `orientation` upright. */
export function orient(image: RgbImage, orientation: number): RgbImage {
  if (orientation <= 1 || orientation > 8) return image
  const { data, width: w, height: h } = image
  const swap = orientation >= 5
  const outW = swap ? h : w
  const outH = swap ? w : h
  const out = new Uint8Array(data.length)
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      let sx: number
      let sy: number
      switch (orientation) {
        case 2: sx = w - 1 - x; sy = y; break
        case 3: sx = w - 1 - x; sy = h - 1 - y; break
        case 4: sx = x; sy = h - 1 - y; break
        case 5: sx = y; sy = x; break
        case 6: sx = y; sy = h - 1 - x; break
        case 7: sx = w - 1 - y; sy = h - 1 - x; break
        default: sx = w - 1 - y; sy = x // 8
      }
      const from = (sy * w + sx) * 3
      const to = (y * outW + x) * 3
      out[to] = data[from]
      out[to + 1] = data[from + 1]
      out[to + 2] = data[from + 2]
    }
  }
  return { data: out, width: outW, height: outH, channels: 3 }
}

/**
 * Shrinks so that the longer side is at most `maxSide`, each new pixel the mean of the block
 * it covers. Returns the same image when it is small enough.
 */
export function shrink(image: RgbImage, maxSide: number): RgbImage {
  const { width, height } = image
  const scale = Math.max(width, height) / maxSide
  if (scale <= 1) return image
  const outW = Math.max(1, Math.round(width / scale))
  const outH = Math.max(1, Math.round(height / scale))
  const out = new Uint8Array(outW * outH * 3)
  const sums = new Float64Array(outW * 3)
  const counts = new Float64Array(outW)
  /* Source column -> target column, computed once. */
  const column = new Int32Array(width)
  for (let x = 0; x < width; x++) column[x] = Math.min(outW - 1, Math.floor((x * outW) / width))
  let sy = 0
  for (let y = 0; y < outH; y++) {
    const endY = Math.max(sy + 1, Math.round(((y + 1) * height) / outH))
    sums.fill(0)
    counts.fill(0)
    for (; sy < endY && sy < height; sy++) {
      const row = sy * width * 3
      for (let x = 0; x < width; x++) {
        const c = column[x]
        sums[c * 3] += image.data[row + x * 3]
        sums[c * 3 + 1] += image.data[row + x * 3 + 1]
        sums[c * 3 + 2] += image.data[row + x * 3 + 2]
        counts[c]++
      }
    }
    for (let x = 0; x < outW; x++) {
      const n = counts[x] || 1
      const to = (y * outW + x) * 3
      out[to] = Math.round(sums[x * 3] / n)
      out[to + 1] = Math.round(sums[x * 3 + 1] / n)
      out[to + 2] = Math.round(sums[x * 3 + 2] / n)
    }
  }
  return { data: out, width: outW, height: outH, channels: 3 }
}

/**
 * The luma (0-255, BT.601) of a region of the image, sampled onto an `size` x `size` grid, each
 * cell the mean of the source pixels it covers. The region is clipped to the image.
 */
export function grayRegion(
  image: RgbImage,
  box: [number, number, number, number] = [0, 0, image.width, image.height],
  size = 128
): { gray: Float32Array; width: number; height: number } {
  const x0 = Math.max(0, Math.floor(box[0]))
  const y0 = Math.max(0, Math.floor(box[1]))
  const x1 = Math.min(image.width, Math.ceil(box[0] + box[2]))
  const y1 = Math.min(image.height, Math.ceil(box[1] + box[3]))
  const regionW = Math.max(1, x1 - x0)
  const regionH = Math.max(1, y1 - y0)
  const outW = Math.min(size, regionW)
  const outH = Math.min(size, regionH)
  const sums = new Float64Array(outW * outH)
  const counts = new Float64Array(outW * outH)
  for (let y = y0; y < y1; y++) {
    const ty = Math.min(outH - 1, Math.floor(((y - y0) * outH) / regionH))
    for (let x = x0; x < x1; x++) {
      const tx = Math.min(outW - 1, Math.floor(((x - x0) * outW) / regionW))
      const i = (y * image.width + x) * 3
      sums[ty * outW + tx] += 0.299 * image.data[i] + 0.587 * image.data[i + 1] + 0.114 * image.data[i + 2]
      counts[ty * outW + tx]++
    }
  }
  const gray = new Float32Array(outW * outH)
  for (let i = 0; i < gray.length; i++) gray[i] = sums[i] / (counts[i] || 1)
  return { gray, width: outW, height: outH }
}

export function mean(values: Float32Array): number {
  let sum = 0
  for (const v of values) sum += v
  return values.length ? sum / values.length : 0
}

/** Variance of the 4-neighbour Laplacian: low when there are no sharp edges (blur, or a blank picture). */
export function laplacianVariance(gray: Float32Array, width: number, height: number): number {
  if (width < 3 || height < 3) return 0
  let sum = 0
  let sumSq = 0
  let n = 0
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x
      const v = gray[i - 1] + gray[i + 1] + gray[i - width] + gray[i + width] - 4 * gray[i]
      sum += v
      sumSq += v * v
      n++
    }
  }
  const m = sum / n
  return sumSq / n - m * m
}
