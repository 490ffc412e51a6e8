import { test } from '@japa/runner'
import { loggedIn, studentInExam } from '#tests/helpers/report'

/** Reads server-sent events from a response until `until` accepts one (or the time is up). */
async function eventsUntil(response: Response, until: (name: string, data: any) => boolean, ms = 10_000) {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  const seen: { name: string; data: any }[] = []
  let buffer = ''
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const next = await Promise.race([reader.read(), new Promise<null>((resolve) => setTimeout(() => resolve(null), deadline - Date.now()))])
    if (!next || next.done) break
    buffer += decoder.decode(next.value, { stream: true })
    let end: number
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const name = /^event: (.*)$/m.exec(block)?.[1] ?? 'message'
      const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null')
      seen.push({ name, data })
      if (until(name, data)) {
        await reader.cancel()
        return seen
      }
    }
  }
  await reader.cancel().catch(() => {})
  return seen
}

test.group('Report: live updates', () => {
  test('the log, status and score are pushed while the student is still in the exam', async ({ assert }) => {
    const { session, post, api } = await studentInExam()
    const proctor = await loggedIn('proctor')
    const page = await (await proctor.request(`/staff/sessions/${session.publicId}`)).text()
    const url = /data-progress-url="([^"]+)"/.exec(page)![1].replace(/&amp;/g, '&')

    /* What the page shows already is not sent again. */
    let ticks = 0
    const quiet = await eventsUntil(await proctor.request(url), (name) => name === 'progress' && ++ticks === 2, 5000)
    assert.deepEqual(quiet.map((e) => e.name), ['progress', 'progress'])

    const stream = await proctor.request(url)
    const sent = await post('/events', { clientEventId: 'live-focus-1', type: 'focus_lost', agoMs: 9000, durationMs: 8000, attempt: 1 })
    assert.equal(sent.status, 201)
    const seen = await eventsUntil(stream, (name, data) => name === 'live' && typeof data.log === 'string' && data.log.includes('focus_lost'))
    const live = seen.find((e) => e.name === 'live' && e.data.log?.includes('focus_lost'))!.data
    assert.match(live.log, /<tr data-violation[^>]*data-type="focus_lost"/)
    assert.include(live.log, '8 s')
    assert.match(live.score, /data-testid="score">\d+(\.\d)? %/)
    assert.include(live.score, 'data-kind="focus_lost"')
    assert.match(live.credibility, /^\d+(\.\d)? %$/)

    /* The student finishes: the badge follows. */
    const next = await proctor.request(url)
    assert.equal((await api.finish(1, {})).status, 200)
    const after = await eventsUntil(next, (name, data) => name === 'live' && typeof data.status === 'string' && !data.status.includes('status-in_progress'))
    const status = after.find((e) => e.name === 'live' && e.data.status)!.data.status
    assert.include(status, 'data-testid="status"')
    assert.notInclude(status, 'status-in_progress')
  }).timeout(40_000)
})
