import env from '#start/env'

/** Identity photos (S4): what is accepted, and how the face model is run for the web app. */
export default {
  /** Largest photo file, in bytes. */
  maxBytes: 5 * 1024 * 1024,
  /** Longest side in pixels, read from the file's header before anything is decoded. */
  maxSide: env.get('PHOTO_MAX_SIDE', 4096),
  /** Width x height; a 5 kB file can claim 60000 x 60000 (3.6 billion pixels, 10 GB to unpack). */
  maxPixels: env.get('PHOTO_MAX_PIXELS', 4096 * 4096),
  /** Threads of each web process that decode photos and run the face model, off its event loop. */
  faceThreads: Math.max(1, env.get('FACE_THREADS', 1)),
}
