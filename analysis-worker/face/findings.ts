/** What one analysed frame showed. `mismatch` is null where identity was not checked. */
export type Sample = {
  t: number
  faces: number
  yaw?: number
  pitch?: number
  mismatch: boolean | null
}

export const FACE_FINDINGS = ['no_face', 'multiple_faces', 'face_mismatch', 'looking_away'] as const
export type FaceFinding = (typeof FACE_FINDINGS)[number]

export type Range = { type: string; start: number; end: number; firstSample: number }

export function hasFinding(sample: Sample, type: FaceFinding, limits: { yaw: number; pitch: number }) {
  switch (type) {
    case 'no_face':
      return sample.faces === 0
    case 'multiple_faces':
      return sample.faces > 1
    case 'face_mismatch':
      return sample.faces === 1 && sample.mismatch === true
    case 'looking_away':
      return sample.faces === 1 && (Math.abs(sample.yaw ?? 0) > limits.yaw || Math.abs(sample.pitch ?? 0) > limits.pitch)
  }
}

/**
 * Runs of samples with the same finding, as time ranges. A boundary lies somewhere between
 * two samples; the midpoint keeps the error under half the sampling interval.
 * `minSamples` drops one-frame blips (head turns are noisy).
 */
export function rangesOf(samples: Sample[], type: FaceFinding, limits: { yaw: number; pitch: number }, minSamples = 1): Range[] {
  const ranges: Range[] = []
  let runStart = -1
  for (let i = 0; i <= samples.length; i++) {
    const on = i < samples.length && hasFinding(samples[i], type, limits)
    if (on && runStart < 0) runStart = i
    if (!on && runStart >= 0) {
      if (i - runStart >= minSamples) {
        const start = runStart > 0 ? (samples[runStart - 1].t + samples[runStart].t) / 2 : samples[runStart].t
        const end = i < samples.length ? (samples[i - 1].t + samples[i].t) / 2 : samples[i - 1].t
        ranges.push({ type, start, end, firstSample: runStart })
      }
      runStart = -1
    }
  }
  return ranges
}
