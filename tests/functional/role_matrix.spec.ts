import { test } from '@japa/runner'
import router from '@adonisjs/core/services/router'
import env from '#start/env'
import { ACTORS, buildWorld, errorCodeOf, fillTemplate, sendAs, type RawResponse } from '#tests/helpers/actors'
import { ROLE_MATRIX, type Expected, type MatrixActor } from '#tests/fixtures/role_matrix'

/*
| Every route against every kind of caller (tests/fixtures/role_matrix.ts): anonymous, the
| session's student, another session's student, the phone, a proctor, an auditor and an
| admin, each with real credentials, each with its expected answer.
*/

/** The routes the app serves now, as "METHOD /pattern" (HEAD goes with GET). */
function servedRoutes() {
  const routes: string[] = []
  for (const list of Object.values(router.toJSON())) {
    for (const route of list) {
      for (const method of route.methods.filter((m: string) => m !== 'HEAD')) routes.push(`${method} ${route.pattern}`)
    }
  }
  return routes.sort()
}

/** What an answer amounts to, in the matrix's terms. */
function answerOf(response: RawResponse, expected: Expected): Expected {
  const answer: Expected = { status: response.status }
  if (response.status >= 300 && response.status < 400) answer.location = String(response.headers.location)
  const code = response.status >= 400 ? errorCodeOf(response) : undefined
  if (code || expected.code) answer.code = code
  return answer
}

test.group('Who gets what, route by route (issue 7)', () => {
  test('every route in start/routes.ts has an entry in the role matrix, and every entry a route', ({ assert }) => {
    const served = servedRoutes()
    assert.isAbove(served.length, 0)
    const missing = served.filter((route) => !(route in ROLE_MATRIX))
    const gone = Object.keys(ROLE_MATRIX).filter((route) => !served.includes(route))
    assert.deepEqual(missing, [], 'routes with no entry in tests/fixtures/role_matrix.ts')
    assert.deepEqual(gone, [], 'entries in tests/fixtures/role_matrix.ts for routes that no longer exist')
  })

  for (const [route, entry] of Object.entries(ROLE_MATRIX)) {
    test(`${route}: each caller gets the answer the matrix gives`, async ({ assert }) => {
      /* A world of its own: a logout, a finish or a login must not change the next route's callers. */
      const world = await buildWorld(env.get('APP_URL'))
      const expected: Partial<Record<MatrixActor, Expected>> = {}
      const actual: Partial<Record<MatrixActor, Expected>> = {}
      for (const [index, actor] of ACTORS.entries()) {
        const response = await sendAs(world, actor, entry.request, { actorSeq: String(index + 1) })
        /* A redirect may name this world's session ({sessionId}, ...). */
        expected[actor] = entry[actor].location ? { ...entry[actor], location: fillTemplate(entry[actor].location!, world.vars) } : entry[actor]
        actual[actor] = answerOf(response, entry[actor])
      }
      assert.deepEqual(actual, expected)
    }).timeout(60_000)
  }
})
