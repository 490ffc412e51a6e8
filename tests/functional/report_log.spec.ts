import { test } from '@japa/runner'
import ProctoringEvent from '#models/proctoring_event'
import { analysisFinding, loggedIn, logRows, studentInExam } from '#tests/helpers/report'

test.group('Report: the violation log', () => {
  test('one spoken sentence found as three voice stretches is one row with its sources', async ({ assert }) => {
    const { session, origin } = await studentInExam()
    await analysisFinding(session, origin, 'voice_detected', 72.5, 74)
    await analysisFinding(session, origin, 'voice_detected', 75, 77.2)
    await analysisFinding(session, origin, 'voice_detected', 78.5, 80.5)
    await analysisFinding(session, origin, 'no_face', 200, 212)
    const proctor = await loggedIn('proctor')
    const rows = logRows(await (await proctor.request(`/staff/sessions/${session.publicId}`)).text())
    assert.deepEqual(
      rows.map((r) => [r.kind, r.start, r.end, r.length]),
      [
        ['Voice or noise', 72.5, 80.5, '8 s'],
        ['No face', 200, 212, '12 s'],
      ]
    )
    assert.equal(rows[0].sources, 'analysis')
    assert.equal(rows[0].attempt, '1')
  })

  test('focus away 8 s shows 8 s, in exam time with the clock time beside it', async ({ assert }) => {
    const { session, origin, post } = await studentInExam()
    /* The browser reports it when the student comes back: it began 8 s ago and lasted 8 s. */
    const sent = await post('/events', { clientEventId: 'focus-away-1', type: 'focus_lost', agoMs: 8000, durationMs: 8000, attempt: 1 })
    assert.equal(sent.status, 201)
    const event = await ProctoringEvent.findByOrFail('clientEventId', 'focus-away-1')
    const start = Math.round(event.startedAt.diff(origin).as('seconds') * 10) / 10
    const proctor = await loggedIn('proctor')
    const [row] = logRows(await (await proctor.request(`/staff/sessions/${session.publicId}`)).text())
    assert.equal(row.kind, 'Focus lost')
    assert.equal(row.sources, 'browser')
    assert.equal(row.length, '8 s')
    assert.closeTo(row.start, start, 0.11)
    assert.equal(row.end - row.start, 8)
    /* About 9:52 into the exam, and the wall clock then. */
    const whole = Math.floor(row.start)
    const examClock = `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`
    assert.equal(row.time, `${examClock} ${event.startedAt.toFormat('HH:mm:ss')}`)
  })

  test('a session without findings says so in the log', async ({ assert }) => {
    const { session } = await studentInExam()
    const proctor = await loggedIn('proctor', 'ru')
    const page = await (await proctor.request(`/staff/sessions/${session.publicId}`)).text()
    assert.include(page, 'Нарушений пока не найдено.')
    assert.lengthOf(logRows(page), 0)
  })
})
