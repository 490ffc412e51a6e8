import { test } from '@japa/runner'
import { spawnSync } from 'node:child_process'
import { statSync } from 'node:fs'

/*
| The test command gets mediasoup's worker binary by itself (scripts/test.sh runs
| scripts/mediasoup_worker.sh, which builds it on a fresh machine: issue 12) and caches it
| outside the checkout. Here: asked again, the script hands back the same cached binary, and
| that binary runs.
*/
test.group('The mediasoup worker binary (issue 12)', () => {
  test('a second run of the test command reuses the worker binary it built or downloaded', ({ assert }) => {
    const built = process.env.MEDIASOUP_WORKER_BIN
    assert.isString(built, 'MEDIASOUP_WORKER_BIN is set by the test command (scripts/test.sh); run the tests through it')
    const before = statSync(built!).mtimeMs
    const env = { ...process.env }
    delete env.MEDIASOUP_WORKER_BIN
    const again = spawnSync('bash', ['scripts/mediasoup_worker.sh'], { env, encoding: 'utf8' })
    assert.equal(again.status, 0, again.stderr)
    assert.equal(again.stdout.trim().split('\n').pop(), built)
    assert.include(again.stderr, 'cached:')
    assert.notInclude(again.stderr, 'ninja')
    assert.equal(statSync(built!).mtimeMs, before)

    /* It is a working worker: without MEDIASOUP_VERSION it stops with its own status 41. */
    const run = spawnSync(built!, [], { env: {}, encoding: 'utf8' })
    assert.equal(run.status, 41)
  })
})
