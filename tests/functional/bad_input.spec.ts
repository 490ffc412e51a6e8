import { test } from '@japa/runner'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import env from '#start/env'
import { buildWorld, errorCodeOf, fillTemplate, rawRequest, type ActorName, type World } from '#tests/helpers/actors'
import { differences, snapshot } from '#tests/helpers/data_snapshot'

/*
| The bad-input corpus (tests/fixtures/bad_input/*.json, described in its README.md): every
| case is sent as-is by a real actor and must be refused with its 4xx status and stable code,
| and must change nothing (every table's rows and every file under the data folder).
*/

type Repeat = { $repeat: string; times: number }
type Part = string | Repeat
type Case = {
  name: string
  actor: ActorName
  method: string
  path: string
  headers?: Record<string, string>
  csrf?: boolean
  json?: unknown
  text?: string | Part[]
  base64?: string
  /** That many zero bytes (a huge binary body without a huge file). */
  zeros?: number
  /** A field's value: text, `{ "$repeat" }`, a list of such parts joined, or `{ "values": [...] }` to send the field several times. */
  form?: Record<string, Part | Part[] | { values: string[] }>
  chunked?: boolean
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

const isRepeat = (value: unknown): value is Repeat =>
  typeof value === 'object' && value !== null && '$repeat' in value && 'times' in value

/** Expands `{ "$repeat": "x", "times": n }` (huge values without huge files) and `{name}` templates. */
function expand(value: unknown, vars: Record<string, string>): unknown {
  if (isRepeat(value)) return value.$repeat.repeat(value.times)
  if (typeof value === 'string') return fillTemplate(value, vars)
  if (Array.isArray(value)) return value.map((item) => expand(item, vars))
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, expand(item, vars)]))
  }
  return value
}

function bodyOf(item: Case, vars: Record<string, string>): { body?: Buffer; type?: string } {
  if (item.json !== undefined) return { body: Buffer.from(JSON.stringify(expand(item.json, vars))), type: 'application/json' }
  if (item.text !== undefined) {
    const parts = Array.isArray(item.text) ? item.text : [item.text]
    return { body: Buffer.from(parts.map((part) => expand(part, vars) as string).join('')) }
  }
  if (item.base64 !== undefined) return { body: Buffer.from(item.base64, 'base64') }
  if (item.zeros !== undefined) return { body: Buffer.alloc(item.zeros) }
  if (item.form !== undefined) {
    const fields = new URLSearchParams()
    for (const [key, value] of Object.entries(item.form)) {
      if (typeof value === 'object' && !Array.isArray(value) && 'values' in value) {
        for (const one of value.values) fields.append(key, fillTemplate(one, vars))
      } else {
        const parts = Array.isArray(value) ? value : [value]
        fields.append(key, parts.map((part) => expand(part, vars) as string).join(''))
      }
    }
    return { body: Buffer.from(fields.toString()), type: 'application/x-www-form-urlencoded' }
  }
  return {}
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
    const response = await rawRequest(world.baseUrl, {
      method: 'POST',
      path: `/api/student/sessions/${world.vars.sessionId}/events`,
      headers: { 'content-type': 'application/json', ...world.headersFor('student') },
      body: Buffer.from(JSON.stringify({ clientEventId: 'control-event-01', type: 'copy', agoMs: 5 })),
    })
    assert.equal(response.status, 201, response.body)
    const changes = differences(before, await snapshot())
    assert.isTrue(changes.some((line) => /^table events: \d+ rows before, \d+ after$/.test(line)), changes.join('\n'))
  })

  for (const item of corpus) {
    test(`${item.file}: ${item.name}`, async ({ assert }) => {
      const { body, type } = bodyOf(item, world.vars)
      const headers: Record<string, string> = {
        ...(type ? { 'content-type': type } : {}),
        ...world.headersFor(item.actor, { csrf: item.csrf }),
      }
      for (const [name, value] of Object.entries(item.headers ?? {})) headers[name.toLowerCase()] = fillTemplate(value, world.vars)

      const before = await snapshot()
      const response = await rawRequest(world.baseUrl, {
        method: item.method,
        path: fillTemplate(item.path, world.vars),
        headers,
        body,
        chunked: item.chunked,
      })
      const after = await snapshot()

      const answer = `${response.status} ${response.body.slice(0, 300)}`
      assert.equal(response.status, item.expect.status, answer)
      assert.equal(errorCodeOf(response), item.expect.code, answer)
      assert.deepEqual(differences(before, after), [], 'the refused request changed nothing')
    })
  }
})
