import { test } from '@japa/runner'
import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import env from '#start/env'
import Exam from '#models/exam'
import Group from '#models/group'
import Candidate from '#models/candidate'
import Discipline from '#models/discipline'
import System from '#models/system'
import ProctoringSession from '#models/proctoring_session'
import { staffUser } from '#tests/helpers/fixtures'
import { WebClient } from '#tests/helpers/http'
import type { StaffRole } from '#models/user'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import IdentityCheck from '#models/identity_check'
import AuditEntry from '#models/audit_entry'
import { dataDir } from '#config/paths'

const baseUrl = () => env.get('APP_URL')
let worldCount = 0

async function loggedIn(role: StaffRole = 'proctor', language = 'en') {
  const { user, password } = await staffUser(role)
  const client = new WebClient(baseUrl(), language)
  await client.login(user.email, password)
  return { client, user }
}

const at = (iso: string | null) => (iso ? DateTime.fromISO(iso) : null)

/**
 * Two exams (their names share a token no other test uses), three candidates in two groups
 * and six sessions that differ in every filtered column.
 */
async function world() {
  worldCount++
  const token = `W${worldCount}x${Date.now().toString(36)}`
  const groupA = await Group.create({ name: `Группа А ${token}` })
  const groupB = await Group.create({ name: `Группа Б ${token}` })
  const discipline = await Discipline.create({ name: `Физика ${token}` })
  const system = await System.create({ name: `Moodle ${token}`, kind: 'link', active: true } as any)
  const base = { durationMinutes: 30, violationLimit: 3, reconnectWindowSeconds: 300, requiresScreen: true, requiresPhone: false, weights: {}, rules: { allowed: [], forbidden: [] } }
  const physics = await Exam.create({ ...base, title: `Физика ${token}`, passThreshold: 70, disciplineId: discipline.id } as any)
  const chemistry = await Exam.create({ ...base, title: `Химия ${token}`, passThreshold: 60 } as any)
  const c1 = await Candidate.create({ fullName: `Алиев Арман ${token}`, groupId: groupA.id, iin: `99${String(worldCount).padStart(2, '0')}01300001`, externalId: `a-${token}` })
  const c2 = await Candidate.create({ fullName: `Борисова Вера ${token}`, groupId: groupB.id, externalId: `b-${token}` })
  const c3 = await Candidate.create({ fullName: `Жанова Гүлім ${token}`, groupId: groupA.id, externalId: `c-${token}` })
  const make = (fields: Partial<ProctoringSession> & { examId: number; candidateId: number }) =>
    ProctoringSession.create({ publicId: randomUUID(), status: 'not_started', decision: 'none', archived: false, violationCount: 0, ...fields })
  const s = {
    s1: await make({ examId: physics.id, candidateId: c1.id, status: 'finished', startedAt: at('2026-05-01T10:00:00'), endedAt: at('2026-05-01T10:40:00'), credibility: 92, decision: 'accepted', viewedAt: at('2026-05-05T10:00:00'), endReason: 'finished_by_student' }),
    s2: await make({ examId: chemistry.id, candidateId: c1.id, status: 'stopped', startedAt: at('2026-05-02T09:00:00'), endedAt: at('2026-05-02T09:12:00'), credibility: 40, decision: 'rejected', endReason: 'violation_limit' }),
    s3: await make({ examId: physics.id, candidateId: c2.id, status: 'in_progress', startedAt: at('2026-05-03T12:00:00'), systemId: system.id }),
    s4: await make({ examId: physics.id, candidateId: c3.id, status: 'finished', startedAt: at('2026-05-04T08:00:00'), endedAt: at('2026-05-04T08:30:00'), credibility: 75, decision: 'review', viewedAt: at('2026-05-06T10:00:00'), endReason: 'finished_by_student' }),
    s5: await make({ examId: chemistry.id, candidateId: c2.id, status: 'finished', startedAt: at('2026-04-01T10:00:00'), endedAt: at('2026-04-01T10:30:00'), credibility: 88, archived: true, endReason: 'finished_by_student' }),
    s6: await make({ examId: chemistry.id, candidateId: c3.id, status: 'not_started' }),
  }
  const names = new Map(Object.entries(s).map(([name, session]) => [session.publicId, name]))
  return { token, groupA, groupB, discipline, system, physics, chemistry, c1, c2, c3, s, names }
}

type World = Awaited<ReturnType<typeof world>>

/** The sessions a results page lists, by their names in the world, in order. */
function listed(html: string, w: World) {
  return [...html.matchAll(/<tr data-session="([^"]+)"/g)].map((m) => w.names.get(m[1]) ?? `other:${m[1]}`)
}

async function page(client: WebClient, query: string) {
  const response = await client.request(`/staff/results?${query}`)
  return { status: response.status, html: await response.text() }
}

test.group('Results: filters (issue 9)', () => {
  test('each filter narrows the list to the sessions it names', async ({ assert }) => {
    const w = await world()
    const { client } = await loggedIn()
    const ex = `exam=${encodeURIComponent(w.token)}`
    const cases: [string, string[]][] = [
      [ex, ['s1', 's2', 's3', 's4', 's6']],
      [`${ex}&q=${encodeURIComponent('Алиев')}`, ['s1', 's2']],
      [`${ex}&q=${encodeURIComponent(w.groupA.name)}`, ['s1', 's2', 's4', 's6']],
      [`${ex}&q=${w.c1.iin!.slice(0, 8)}`, ['s1', 's2']],
      [`exam=${encodeURIComponent(w.physics.title)}`, ['s1', 's3', 's4']],
      [`${ex}&from=2026-05-02T00:00&to=2026-05-03T23:59`, ['s2', 's3']],
      [`${ex}&from=2026-05-03T12:00`, ['s3', 's4']],
      [`${ex}&to=2026-05-01T10:00`, ['s1']],
      [`${ex}&group=${w.groupB.id}`, ['s3']],
      [`${ex}&discipline=${w.discipline.id}`, ['s1', 's3', 's4']],
      [`${ex}&status=finished`, ['s1', 's4']],
      [`${ex}&status=not_started`, ['s6']],
      [`${ex}&cmin=70&cmax=80`, ['s4']],
      [`${ex}&cmin=90`, ['s1']],
      [`${ex}&cmax=50`, ['s2']],
      [`${ex}&decision=accepted`, ['s1']],
      [`${ex}&decision=none`, ['s3', 's6']],
      [`${ex}&system=${w.system.id}`, ['s3']],
      [`${ex}&pkn=1`, ['s2']],
      [`${ex}&pkn=0`, ['s1', 's3', 's4', 's6']],
      [`${ex}&archive=1`, ['s5']],
    ]
    for (const [query, expected] of cases) {
      const { status, html } = await page(client, query)
      assert.equal(status, 200, query)
      assert.sameMembers(listed(html, w), expected, query)
    }
  })

  test('a filter that matches nothing says "no matches"; a proctor with nothing to see yet is told so', async ({ assert }) => {
    const w = await world()
    const { client } = await loggedIn()
    const { html } = await page(client, `exam=${w.token}&status=in_progress&decision=accepted`)
    assert.include(html, 'data-testid="no-matches"')
    assert.include(html, 'No sessions match these filters')
    assert.notInclude(html, 'data-testid="nothing-yet"')

    /* A proctor limited to an exam with no session has nothing yet, whatever the filters. */
    const empty = await Exam.create({ title: `Пусто ${w.token}`, durationMinutes: 30, violationLimit: 0, passThreshold: 70, reconnectWindowSeconds: 300, requiresScreen: true, requiresPhone: false, weights: {}, rules: { allowed: [], forbidden: [] } } as any)
    const { client: limited, user } = await loggedIn('proctor')
    const db = (await import('@adonisjs/lucid/services/db')).default
    await db.table('staff_scopes').insert({ user_id: user.id, exam_id: empty.id, group_id: null, created_at: DateTime.now().toSQL({ includeOffset: false }) })
    const none = await page(limited, '')
    assert.include(none.html, 'data-testid="nothing-yet"')
    assert.include(none.html, 'No sessions yet')
    const filtered = await page(limited, 'q=anything')
    assert.include(filtered.html, 'data-testid="nothing-yet"')
  })

  test('a proctor limited to some exams sees only their sessions, in the list and in its count', async ({ assert }) => {
    const w = await world()
    const { client, user } = await loggedIn('proctor')
    const db = (await import('@adonisjs/lucid/services/db')).default
    await db.table('staff_scopes').insert({ user_id: user.id, exam_id: w.chemistry.id, group_id: null, created_at: DateTime.now().toSQL({ includeOffset: false }) })
    const { html } = await page(client, `exam=${w.token}`)
    assert.sameMembers(listed(html, w), ['s2', 's6'])
    assert.include(html, 'Total: 2')
  })

  test('a proctor limited to a group sees only its sessions and is offered only that group in the filter', async ({ assert }) => {
    const w = await world()
    const { client, user } = await loggedIn('proctor')
    const db = (await import('@adonisjs/lucid/services/db')).default
    await db.table('staff_scopes').insert({ user_id: user.id, exam_id: null, group_id: w.groupB.id, created_at: DateTime.now().toSQL({ includeOffset: false }) })
    const { html } = await page(client, `exam=${w.token}`)
    assert.sameMembers(listed(html, w), ['s3'])
    assert.include(html, `<option value="${w.groupB.id}" >`)
    assert.notInclude(html, `<option value="${w.groupA.id}" `)
    /* Asking for the other group by its number shows nothing of it. */
    assert.deepEqual(listed((await page(client, `exam=${w.token}&group=${w.groupA.id}`)).html, w), [])
  })

  test('credibility shows its colour against the pass threshold, and "not computed yet" instead of 0 %', async ({ assert }) => {
    const w = await world()
    const { client } = await loggedIn()
    const { html } = await page(client, `exam=${w.token}`)
    const cell = (name: keyof World['s']) => {
      const from = html.indexOf(`data-session="${w.s[name].publicId}"`)
      return html.slice(from, html.indexOf('</tr>', from))
    }
    assert.include(cell('s1'), 'cred-good')
    assert.include(cell('s1'), '92 %')
    assert.include(cell('s4'), 'cred-close')
    assert.include(cell('s2'), 'cred-low')
    assert.include(cell('s3'), 'Not computed yet')
    assert.notInclude(cell('s3'), '0 %')
    assert.include(cell('s1'), 'data-viewed="1"')
    assert.include(cell('s3'), 'data-viewed="0"')
    assert.include(cell('s2'), 'data-decision="rejected"')
  })
})

test.group('Results: the face photo column (issue 9)', () => {
  test('a session with a face photo shows its thumbnail, made once and archived like any photo access', async ({ assert }) => {
    const w = await world()
    /* A small grey PNG, as the student's camera step stores it. */
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAEAAAABACAIAAAAlC+aJAAAAS0lEQVR42u3PMQ0AAAwDoMqu/ErYvQQckD4XAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAYHLAABQgUuKz/slAAAAAElFTkSuQmCC', 'base64')
    const relative = join('photos', `results-${w.token}.png`)
    await mkdir(join(dataDir, 'photos'), { recursive: true })
    await writeFile(join(dataDir, relative), png)
    const check = await IdentityCheck.create({ sessionId: w.s.s1.id, kind: 'face', photoPath: relative, result: 'accepted' } as any)
    const { client, user } = await loggedIn('proctor')
    const { html } = await page(client, `exam=${w.token}`)
    assert.include(html, `src="/staff/sessions/${w.s.s1.publicId}/photo/face?thumb=1"`)
    assert.notInclude(html, `src="/staff/sessions/${w.s.s2.publicId}/photo/face?thumb=1"`)

    const thumb = await client.request(`/staff/sessions/${w.s.s1.publicId}/photo/face?thumb=1`)
    assert.equal(thumb.status, 200)
    assert.equal(thumb.headers.get('content-type'), 'image/jpeg')
    const bytes = Buffer.from(await thumb.arrayBuffer())
    assert.equal(bytes.subarray(0, 2).toString('hex'), 'ffd8')
    const entry = await AuditEntry.query().where({ action: 'photo.view', subjectId: String(check.id), userId: user.id }).firstOrFail()
    assert.deepInclude(entry.details as object, { session: w.s.s1.publicId, kind: 'face', thumb: true })

    /* A session without a photo: 404 with its code. */
    const none = await client.request(`/staff/sessions/${w.s.s2.publicId}/photo/face?thumb=1`, { headers: { accept: 'application/json' } })
    assert.equal(none.status, 404)
    assert.equal((await none.json()).error.code, 'PHOTO_NOT_FOUND')
  })
})

test.group('Results: sorting, grouping, URL state (issue 9)', () => {
  test('each sortable column sorts both ways, with aria-sort on its header', async ({ assert }) => {
    const w = await world()
    const { client } = await loggedIn()
    const rows = Object.entries(w.s).filter(([name]) => name !== 's5')
    const candidates = new Map([w.c1, w.c2, w.c3].map((c) => [c.id, c]))
    const groups = new Map([w.groupA, w.groupB].map((g) => [g.id, g.name]))
    const exams = new Map([w.physics, w.chemistry].map((e) => [e.id, e.title]))
    const key: Record<string, (s: ProctoringSession) => string | number | null> = {
      candidate: (s) => candidates.get(s.candidateId)!.fullName,
      group: (s) => groups.get(candidates.get(s.candidateId)!.groupId!)!,
      status: (s) => s.status,
      start: (s) => s.startedAt?.toMillis() ?? null,
      end: (s) => s.endedAt?.toMillis() ?? null,
      credibility: (s) => s.credibility ?? null,
      exam: (s) => exams.get(s.examId)!,
      decision: (s) => s.decision,
      viewed: (s) => s.viewedAt?.toMillis() ?? null,
    }
    for (const [sort, of] of Object.entries(key)) {
      for (const dir of ['asc', 'desc'] as const) {
        /* As SQLite orders: nulls first going up, then the session number in the same direction. */
        const expected = [...rows]
          .sort(([, a], [, b]) => {
            const [x, y] = [of(a), of(b)]
            const byValue = x === y ? 0 : x === null ? -1 : y === null ? 1 : x < y ? -1 : 1
            return (byValue || a.id - b.id) * (dir === 'asc' ? 1 : -1)
          })
          .map(([name]) => name)
        const { html } = await page(client, `exam=${w.token}&sort=${sort}&dir=${dir}`)
        assert.deepEqual(listed(html, w), expected, `${sort} ${dir}`)
        assert.match(html, new RegExp(`aria-sort="${dir === 'asc' ? 'ascending' : 'descending'}" data-sort="${sort}"`), `${sort} ${dir}`)
        /* Its header link turns the order round and keeps the filter. */
        const link = new RegExp(`data-sort="${sort}">\\s*<a href="([^"]+)"`).exec(html)![1].replaceAll('&amp;', '&')
        assert.include(link, `sort=${sort}`)
        assert.include(link, `dir=${dir === 'asc' ? 'desc' : 'asc'}`)
        assert.include(link, `exam=${w.token}`)
      }
    }
  })

  test('grouping by student: a row per student with the count of their sessions, which expand under it', async ({ assert }) => {
    const w = await world()
    const { client } = await loggedIn()
    const { html } = await page(client, `exam=${w.token}&group_by=student`)
    const students = [...html.matchAll(/data-student="(\d+)" data-count="(\d+)"/g)].map((m) => [Number(m[1]), Number(m[2])])
    assert.deepEqual(students, [[w.c1.id, 2], [w.c2.id, 1], [w.c3.id, 2]])
    assert.include(html, '2 sessions')
    assert.include(html, 'x-data="studentRows"')
    assert.include(html, 'aria-expanded="false"')
    /* Each student's sessions are under their row, hidden until expanded. */
    const block = (id: number) => {
      const from = html.indexOf(`data-student="${id}"`)
      return html.slice(from, html.indexOf('</tbody>', from))
    }
    assert.sameMembers(listed(block(w.c1.id), w), ['s1', 's2'])
    assert.sameMembers(listed(block(w.c3.id), w), ['s4', 's6'])
    assert.include(block(w.c1.id), 'data-student-session hidden')
    assert.include(html, 'Students: 3')

    /* The filters apply inside the groups too. */
    const finished = await page(client, `exam=${w.token}&group_by=student&status=finished`)
    const counted = [...finished.html.matchAll(/data-student="(\d+)" data-count="(\d+)"/g)].map((m) => [Number(m[1]), Number(m[2])])
    assert.deepEqual(counted, [[w.c1.id, 1], [w.c3.id, 1]])
  })

  test('URL round-trip: the page shows the state its URL holds, and its links keep it', async ({ assert }) => {
    const w = await world()
    const { client } = await loggedIn()
    const query = `q=${encodeURIComponent('Жанова')}&exam=${w.token}&from=2026-05-01T00:00&to=2026-05-31T23:59&group=${w.groupA.id}&discipline=${w.discipline.id}&status=finished&cmin=50&cmax=99&decision=review&pkn=0&sort=start&dir=asc&size=50`
    const { html } = await page(client, query)
    assert.deepEqual(listed(html, w), ['s4'])
    assert.include(html, 'name="q" value="Жанова"')
    assert.include(html, `name="exam" value="${w.token}"`)
    assert.include(html, 'name="from" value="2026-05-01T00:00"')
    assert.include(html, 'name="to" value="2026-05-31T23:59"')
    assert.match(html, new RegExp(`<option value="${w.groupA.id}" selected>`))
    assert.match(html, new RegExp(`<option value="${w.discipline.id}" selected>`))
    assert.include(html, '<option value="finished" selected>')
    assert.include(html, 'name="cmin" min="0" max="100" step="1" value="50"')
    assert.include(html, '<option value="review" selected>')
    assert.include(html, '<option value="0" selected>')
    assert.include(html, '<option value="50" selected>50</option>')
    assert.include(html, '<input type="hidden" name="sort" value="start" form="results-filters">')
    /* The grouping link keeps everything and adds the grouping; following it lists the same session. */
    const grouping = /href="([^"]+)"[^>]*data-testid="group-student"/.exec(html)![1].replaceAll('&amp;', '&')
    for (const part of ['q=', `exam=${w.token}`, 'status=finished', 'cmin=50', 'decision=review', 'pkn=0', 'sort=start', 'dir=asc', 'size=50', 'group_by=student']) {
      assert.include(grouping, part)
    }
    const grouped = await (await client.request(grouping)).text()
    assert.sameMembers(listed(grouped, w), ['s4'])
  })

  test('pagination: a page size of 25, 50 or 100, a windowed pager whose links keep the filters', async ({ assert }) => {
    const w = await world()
    for (let i = 0; i < 50; i++) {
      await ProctoringSession.create({ publicId: randomUUID(), examId: w.physics.id, candidateId: w.c2.id, status: 'finished', decision: 'none', archived: false, violationCount: 0, startedAt: DateTime.fromISO('2026-06-01T08:00:00').plus({ minutes: i }) })
    }
    const { client } = await loggedIn()
    const first = await page(client, `exam=${w.token}&status=finished`)
    assert.lengthOf(listed(first.html, w), 25)
    assert.include(first.html, 'Total: 52')
    assert.include(first.html, 'aria-current="page">1</a>')
    const next = /<a href="([^"]*page=2[^"]*)"/.exec(first.html)![1].replaceAll('&amp;', '&')
    assert.include(next, `exam=${w.token}`)
    assert.include(next, 'status=finished')
    const second = await (await client.request(next)).text()
    assert.lengthOf(listed(second, w), 25)
    const ids = (html: string) => [...html.matchAll(/<tr data-session="([^"]+)"/g)].map((m) => m[1])
    assert.isEmpty(ids(second).filter((id) => ids(first.html).includes(id)))
    const fifty = await page(client, `exam=${w.token}&status=finished&size=50`)
    assert.lengthOf(listed(fifty.html, w), 50)
    const hundred = await page(client, `exam=${w.token}&status=finished&size=100`)
    assert.lengthOf(listed(hundred.html, w), 52)
    assert.notInclude(hundred.html, 'class="pager"')
    /* A page size the list does not offer is refused, not guessed. */
    assert.equal((await page(client, 'size=7')).status, 422)
  })

  test('the language switch keeps the filters, the sort and the grouping', async ({ assert }) => {
    const w = await world()
    const { client } = await loggedIn('proctor', 'en')
    const { html } = await page(client, `exam=${w.token}&status=finished&sort=credibility&dir=asc&group_by=student`)
    const russian = /<a href="([^"]+)"[^>]*lang="ru"/.exec(html)![1].replaceAll('&amp;', '&')
    for (const part of [`exam=${w.token}`, 'status=finished', 'sort=credibility', 'dir=asc', 'group_by=student', 'lang=ru']) assert.include(russian, part)
    const switched = await (await client.request(`/staff/results${russian}`)).text()
    assert.include(switched, '<html lang="ru"')
    assert.include(switched, `name="exam" value="${w.token}"`)
    assert.include(switched, 'Раскрыть')
    assert.sameMembers([...switched.matchAll(/data-student="(\d+)"/g)].map((m) => Number(m[1])), [w.c1.id, w.c3.id])

    /* The table alone, swapped by HTMX after a filter change, brings the switch for its own URL. */
    const fragment = await client.request(`/staff/results?exam=${w.token}&status=in_progress`, { headers: { 'hx-request': 'true', 'hx-target': 'results-table' } })
    const text = await fragment.text()
    assert.include(text, 'hx-swap-oob="true"')
    assert.match(text, /href="\?exam=[^"]*status=in_progress&amp;lang=kk"/)
  })

  test('bad filters are refused with a stable code, never a 500', async ({ assert }) => {
    const { client } = await loggedIn()
    for (const query of ['sort=password', 'dir=sideways', 'cmin=-1', 'cmax=101', 'from=yesterday', 'group=abc', 'status=lost', 'decision=maybe', 'group_by=exam', 'pkn=2', 'archive=yes', 'page=0']) {
      const response = await client.request(`/staff/results?${query}`)
      assert.equal(response.status, 422, query)
      assert.include(await response.text(), 'data-error-code="VALIDATION_FAILED"', query)
    }
  })
})
