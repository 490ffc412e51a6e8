import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import env from '#start/env'
import AuditEntry from '#models/audit_entry'
import Recording from '#models/recording'
import { verifyArchive } from '#actions/audit/verify_archive'
import { readHead } from '#actions/audit/archive_head'
import { AppServer } from '#tests/helpers/app_server'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { WebClient, openStudentLink, studentApi } from '#tests/helpers/http'

const WEBM_HEAD = Buffer.from(
  '1a45dfa39f4286810142f7810142f2810442f381084282847765626d42878104428581021853806701ffffffffffffff1549a966992ad7b1830f42404d808643',
  'hex'
)

test.group('Action archive written by several web processes', (group) => {
  let other: AppServer
  group.setup(async () => {
    other = await AppServer.start({ WEB_PROCESSES: '2' })
    return () => other.stop()
  })

  test('downloads served by two processes at once make one unbroken chain and a head that names its end', async ({ assert }) => {
    const baseUrl = env.get('APP_URL')
    const student = await openStudentLink(baseUrl, (await examWithCandidate()).link)
    const api = studentApi(baseUrl, student)
    await api.startAttempt()
    await api.uploadChunk('webcam', 0, Buffer.concat([WEBM_HEAD, randomBytes(4000)]))
    const recording = await Recording.query().where({ stream: 'webcam' }).orderBy('id', 'desc').firstOrFail()
    const { user, password } = await staffUser('admin')
    const clients = [new WebClient(baseUrl), new WebClient(other.url)]
    for (const client of clients) assert.equal((await client.login(user.email, password)).status, 302)

    const before = await AuditEntry.query().where({ action: 'recording.download', userId: user.id }).count('* as n')
    const downloads = Array.from({ length: 24 }, (_, i) =>
      clients[i % 2].request(`/staff/recordings/${recording.id}/media?download=1`).then(async (response) => {
        await response.arrayBuffer()
        return response.status
      })
    )
    assert.deepEqual(new Set(await Promise.all(downloads)), new Set([200]))

    const after = await AuditEntry.query().where({ action: 'recording.download', userId: user.id }).count('* as n')
    assert.equal(Number(after[0].$extras.n) - Number(before[0].$extras.n), 24)
    const result = await verifyArchive()
    assert.deepEqual(result.findings, [])
    const newest = await AuditEntry.query().orderBy('id', 'desc').firstOrFail()
    const head = await readHead()
    assert.equal(head.state, 'valid')
    assert.equal(head.state === 'valid' && head.head.id, newest.id)
    assert.equal(head.state === 'valid' && head.head.count, result.checked)
  }).timeout(120_000)
})
