import env from '#start/env'

/** How recordings are analysed (A3-A5). Every number here can be set from the environment. */
export default {
  /** Chunks (of ~3 s) gathered before the next window of a running exam is analysed. */
  windowChunks: env.get('ANALYSIS_WINDOW_CHUNKS', 10),
  /** Below this similarity to the ID photo, the face on camera is "a different person" (0-1). */
  faceMatchMinSimilarity: env.get('FACE_MATCH_MIN_SIMILARITY', 0.5),
  /** Head turned further than this (degrees) is "looking away". */
  lookingAwayYaw: 40,
  lookingAwayPitch: 35,
  /** The identity of a steady face is re-checked at least every this many samples. */
  identityEverySamples: 30,
  /** Size of the frames given to the face model (measured: 320x240 finds the same faces as 640x480 for 20 % less CPU). */
  frameWidth: 320,
  frameHeight: 240,
}
