import { test } from '@japa/runner'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import env from '#start/env'
import { buildWorld, errorCodeOf, sendAs, type ActorName, type RequestSpec, type World } from '#tests/helpers/actors'
import { differences, snapshot } from '#tests/helpers/data_snapshot'

/*
| The bad-input corpus (tests/fixtures/bad_input/*.json, described in its README.md): every
| case is sent as-is by a real actor and must be refused with its 4xx status and stable code,
| and must change nothing (every table's rows and every file under the data folder).
*/

type Case = RequestSpec & {
  name: string
  actor: ActorName
  expect: { status: number; code: string }
}

const CORPUS = 'tests/fixtures/bad_input'

function loadCorpus() {
  const cases: (Case & { file: string })[] = []
  for (const file of readdirSync(CORPUS).filter((name) => name.endsWith('.json')).sort()) {
    const { cases: list } = JSON.parse(readFileSync(join(CORPUS, file), 'utf8')) as { cases: Case[] }
    for (const item of list) cases.push({ ...item, file: file.replace(/\.json$/, '') })
  }
  return cases
}

const corpus = loadCorpus()

test.group('Bad input never gets in (issue 7)', (group) => {
  let world: World
  group.setup(async () => {
    world = await buildWorld(env.get('APP_URL'))
  })

  test('the corpus holds at least 150 cases with distinct names', ({ assert }) => {
    assert.isAtLeast(corpus.length, 150)
    const names = corpus.map((item) => `${item.file}: ${item.name}`)
    assert.equal(new Set(names).size, names.length, 'every case has its own name')
  })

  test('the comparison sees a change: a valid event, sent the same way, is stored and noticed', async ({ assert }) => {
    const before = await snapshot()
    const response = await sendAs(world, 'student', {
      method: 'POST',
      path: '/api/student/sessions/{sessionId}/events',
      json: { clientEventId: 'control-event-01', type: 'copy', agoMs: 5 },
    })
    assert.equal(response.status, 201, response.body)
    const changes = differences(before, await snapshot())
    assert.isTrue(changes.some((line) => /^table events: \d+ rows before, \d+ after$/.test(line)), changes.join('\n'))
  })

  for (const item of corpus) {
    test(`${item.file}: ${item.name}`, async ({ assert }) => {
      const before = await snapshot()
      const response = await sendAs(world, item.actor, item)
      const after = await snapshot()

      const answer = `${response.status} ${response.body.slice(0, 300)}`
      assert.equal(response.status, item.expect.status, answer)
      assert.equal(errorCodeOf(response), item.expect.code, answer)
      assert.deepEqual(differences(before, after), [], 'the refused request changed nothing')
    })
  }
})
