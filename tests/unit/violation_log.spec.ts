import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { buildViolationLog, examTime, lengthText, type LogEvent } from '#actions/reviews/violation_log'

const origin = DateTime.fromISO('2026-11-24T09:00:00.000Z')
const at = (seconds: number) => origin.plus({ milliseconds: seconds * 1000 })
const event = (type: string, source: LogEvent['source'], start: number, end: number | null, extra: Partial<LogEvent> = {}): LogEvent => ({
  type,
  source,
  startedAt: at(start),
  endedAt: end === null ? null : at(end),
  ...extra,
})

test.group('Violation log', () => {
  test('one spoken sentence found as three voice stretches is one row', ({ assert }) => {
    const rows = buildViolationLog(
      [
        event('voice_detected', 'analysis', 12.5, 14),
        event('voice_detected', 'analysis', 15.2, 17),
        event('voice_detected', 'analysis', 18.9, 20.5),
        event('voice_detected', 'browser', 13, 16),
      ],
      origin
    )
    assert.lengthOf(rows, 1)
    assert.deepInclude(rows[0], { type: 'voice_detected', start: 12.5, end: 20.5, seconds: 8, sources: ['browser', 'analysis'] })
    assert.equal(rows[0].key, 'voice_detected-12.5')
  })

  test('stretches more than 2 s apart, or of different kinds, stay separate rows sorted by start', ({ assert }) => {
    const rows = buildViolationLog(
      [
        event('no_face', 'analysis', 40, 45),
        event('voice_detected', 'analysis', 10, 12),
        event('voice_detected', 'analysis', 14.5, 16),
        event('no_face', 'analysis', 11, 13),
      ],
      origin
    )
    assert.deepEqual(
      rows.map((r) => [r.type, r.start, r.end]),
      [
        ['voice_detected', 10, 12],
        ['no_face', 11, 13],
        ['voice_detected', 14.5, 16],
        ['no_face', 40, 45],
      ]
    )
  })

  test('a browser event with a length shows it: focus away 8 s is 8 s; an instant one has none', ({ assert }) => {
    const rows = buildViolationLog([event('focus_lost', 'browser', 60, 68), event('paste', 'browser', 90, null)], origin)
    assert.deepInclude(rows[0], { start: 60, end: 68, seconds: 8 })
    assert.deepInclude(rows[1], { start: 90, end: 90, seconds: 0 })
  })

  test('times are exam time with the clock time beside; the attempt is the one named or the one running', ({ assert }) => {
    const attempts = [
      { number: 1, startedAt: at(0), endedAt: at(100) },
      { number: 2, startedAt: at(200), endedAt: null },
    ]
    const rows = buildViolationLog([event('no_face', 'analysis', 250, 260), event('copy', 'browser', 30, null, { attempt: 1 })], origin, attempts)
    assert.deepEqual(rows.map((r) => r.attempt), [1, 2])
    assert.equal(rows[1].clockStart.toMillis(), at(250).toMillis())
    assert.equal(examTime(rows[1].start), '4:10')
    assert.equal(examTime(3725), '1:02:05')
    assert.equal(lengthText(8, { h: 'h', min: 'min', s: 's' }), '8 s')
    assert.equal(lengthText(125, { h: 'h', min: 'min', s: 's' }), '2 min 5 s')
  })

  test('a proctor incident keeps its comment and source', ({ assert }) => {
    const rows = buildViolationLog([event('incident', 'proctor', 5, 25, { comment: 'Someone whispered' })], origin)
    assert.deepInclude(rows[0], { sources: ['proctor'], comment: 'Someone whispered', seconds: 20 })
  })
})
