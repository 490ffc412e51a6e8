import { test } from '@japa/runner'
import { credibilityOf, INSTANT_EVENT_SECONDS, unionSeconds } from '#actions/reviews/compute_credibility'

test.group('Credibility score', () => {
  test('a clean session scores 100 %', ({ assert }) => {
    assert.equal(credibilityOf([], 3600, {}).score, 100)
  })

  test('each kind of violation costs its weight times its share of the session', ({ assert }) => {
    const result = credibilityOf(
      [
        { type: 'no_face', start: 100, end: 460 },
        { type: 'voice_detected', start: 1000, end: 1180 },
      ],
      3600,
      { no_face: 1, voice_detected: 2 }
    )
    /* no face 10 % of the time x1, voice 5 % x2: 100 - 10 - 10 */
    assert.equal(result.score, 80)
    assert.deepEqual(result.breakdown.no_face, { seconds: 360, weight: 1, penalty: 10 })
    assert.deepEqual(result.breakdown.voice_detected, { seconds: 180, weight: 2, penalty: 10 })
  })

  test('the same seconds flagged twice for one kind (browser and analysis) count once', ({ assert }) => {
    assert.equal(unionSeconds([[0, 10], [5, 15], [20, 25]]), 20)
    const twice = credibilityOf(
      [
        { type: 'voice_detected', start: 0, end: 360 },
        { type: 'voice_detected', start: 0, end: 360 },
      ],
      3600,
      { voice_detected: 1 }
    )
    assert.equal(twice.score, 90)
  })

  test('an instant event counts as a few seconds, and the score never drops below 0', ({ assert }) => {
    const paste = credibilityOf([{ type: 'paste', start: 50, end: null }], 100, { paste: 1 })
    assert.equal(paste.breakdown.paste.seconds, INSTANT_EVENT_SECONDS)
    assert.equal(paste.score, 100 - INSTANT_EVENT_SECONDS)
    const awful = credibilityOf([{ type: 'face_mismatch', start: 0, end: 100 }], 100, { face_mismatch: 3 })
    assert.equal(awful.score, 0)
  })
})
