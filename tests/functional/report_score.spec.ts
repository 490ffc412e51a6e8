import { test } from '@japa/runner'
import ProctoringSession from '#models/proctoring_session'
import Exam from '#models/exam'
import { analysisFinding, endedAfter, loggedIn, studentInExam, testId } from '#tests/helpers/report'

/** The score panel's breakdown rows: kind, seconds, weight, penalty as shown. */
function breakdownRows(html: string) {
  const table = /<table[^>]*data-testid="breakdown"[\s\S]*?<\/table>/.exec(html)?.[0] ?? ''
  return [...table.matchAll(/<tr data-kind="([^"]+)">([\s\S]*?)<\/tr>/g)].map((m) => [
    m[1],
    ...[...m[2].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1].replace(/\s+/g, ' ').trim()),
  ])
}

test.group('Report: the score explains itself', () => {
  test('the breakdown (kind, seconds, weight, penalty), the pass threshold and the verdict', async ({ assert }) => {
    const { session, origin } = await studentInExam({ passThreshold: 80, weights: { voice_detected: 2 } })
    await analysisFinding(session, origin, 'no_face', 60, 120)
    await analysisFinding(session, origin, 'voice_detected', 300, 330)
    await endedAfter(session, origin, 600)
    const proctor = await loggedIn('proctor')
    const page = await (await proctor.request(`/staff/sessions/${session.publicId}`)).text()
    /* 600 s: no face 60 s x1 = 10 points, voice 30 s x2 = 10 points. */
    assert.deepEqual(breakdownRows(page), [
      ['no_face', 'No face', '60', '× 1', '−10'],
      ['voice_detected', 'Voice or noise', '30', '× 2', '−10'],
    ])
    assert.equal(testId(page, 'score'), '80 %')
    assert.equal(testId(page, 'verdict'), 'Passed')
    assert.equal(testId(page, 'threshold'), 'Pass threshold: 80 %')
    assert.equal(testId(page, 'credibility'), '80 %')

    /* The exam's threshold raised: the stored score is stale, recomputed, and the verdict follows. */
    await Exam.query().where('id', session.examId).update({ passThreshold: 81 })
    const ru = await loggedIn('proctor', 'ru')
    const again = await (await ru.request(`/staff/sessions/${session.publicId}`)).text()
    assert.equal(testId(again, 'verdict'), 'Не сдан')
    assert.equal(testId(again, 'threshold'), 'Порог сдачи: 81 %')
  })

  test('"not computed yet" while there is no credibility, never "0 %"', async ({ assert }) => {
    const { session } = await studentInExam()
    const fresh = await ProctoringSession.findOrFail(session.id)
    assert.isNull(fresh.credibility)
    const proctor = await loggedIn('proctor', 'kk')
    const page = await (await proctor.request(`/staff/sessions/${session.publicId}`)).text()
    assert.equal(testId(page, 'score'), 'Әлі есептелмеді')
    assert.equal(testId(page, 'credibility'), 'Әлі есептелмеді')
    assert.notInclude(page, '0 %')
    assert.isNull(testId(page, 'verdict'))
  })
})
