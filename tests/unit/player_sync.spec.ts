import { test } from '@japa/runner'
import { attemptTime, clockText, driftCorrection, nextIndex, placeRange, DRIFT_SEEK } from '../../resources/js/staff/player_sync_math.js'

test.group('Report players: the shared clock arithmetic', () => {
  test('a log row in exam time seeks the attempt to exam time minus the attempt start', ({ assert }) => {
    assert.equal(attemptTime(65, 60), 5)
    assert.equal(attemptTime(20, 0), 20)
    /* A row just before its attempt (clock skew) seeks to the attempt's 0:00, never before it. */
    assert.equal(attemptTime(58, 60), 0)
  })

  test('times read m:ss under an hour and h:mm:ss from an hour on', ({ assert }) => {
    assert.equal(clockText(0), '0:00')
    assert.equal(clockText(65.9), '1:05')
    assert.equal(clockText(3725), '1:02:05')
    assert.equal(clockText(Number.NaN), '0:00')
  })

  test('a player off by more than 0.15 s is put back; a smaller drift is evened out by its rate', ({ assert }) => {
    assert.equal(DRIFT_SEEK, 0.15)
    assert.deepEqual(driftCorrection(10.2, 10, 1), { seek: true, rate: 1 })
    assert.deepEqual(driftCorrection(9.7, 10, 4), { seek: true, rate: 4 })
    /* 0.1 s ahead: a little slower; 0.1 s behind: a little faster; never more than 10 % off. */
    assert.isBelow(driftCorrection(10.1, 10, 1).rate, 1)
    assert.isAbove(driftCorrection(9.9, 10, 1).rate, 1)
    assert.isFalse(driftCorrection(10.1, 10, 1).seek)
    assert.closeTo(driftCorrection(10.14, 10, 10).rate, 10, 1)
    /* At 10x a tenth of a second of timer jitter is a second of recording: up to 0.5 s is evened out by rate. */
    assert.isFalse(driftCorrection(10.4, 10, 10).seek)
    assert.isTrue(driftCorrection(10.6, 10, 10).seek)
    assert.isTrue(driftCorrection(10.2, 10, 2).seek)
    /* After a seek or while paused, the player is put exactly on the clock. */
    assert.deepEqual(driftCorrection(10.1, 10, 2, true), { seek: true, rate: 2 })
    assert.deepEqual(driftCorrection(10.01, 10, 2, true), { seek: false, rate: 2 })
  })

  test('a violation range sits on the timeline in proportion, at least a visible sliver, never past the end', ({ assert }) => {
    assert.deepEqual(placeRange(10, 20, 40), { left: 25, width: 25 })
    assert.deepEqual(placeRange(30, 30, 40), { left: 75, width: 0.6 })
    const late = placeRange(38, 60, 40)
    assert.isAtMost(late.left + late.width, 100)
    assert.deepEqual(placeRange(5, 10, 0), { left: 0, width: 0 })
  })

  test('the arrow keys start at the first (or last) row and stop at the ends', ({ assert }) => {
    assert.equal(nextIndex(-1, 1, 4), 0)
    assert.equal(nextIndex(-1, -1, 4), 3)
    assert.equal(nextIndex(1, 1, 4), 2)
    assert.equal(nextIndex(3, 1, 4), 3)
    assert.equal(nextIndex(0, -1, 4), 0)
    assert.equal(nextIndex(-1, 1, 0), -1)
  })
})
