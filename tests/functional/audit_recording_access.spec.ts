import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import AuditEntry from '#models/audit_entry'
import Recording from '#models/recording'
import { verifyArchive } from '#actions/audit/verify_archive'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { WebClient, openStudentLink, studentApi } from '#tests/helpers/http'

const baseUrl = () => env.get('APP_URL')
const RECORDING_BYTES = 20_000
/** The first bytes of a real webcam recording (EBML header, DocType webm, Segment), so the upload's container check passes. */
const WEBM_HEAD = Buffer.from(
  '1a45dfa39f4286810142f7810142f2810442f381084282847765626d42878104428581021853806701ffffffffffffff1549a966992ad7b1830f42404d808643',
  'hex'
)

/** A student's webcam recording on disk and a logged-in staff user of the given role. */
async function recordingAndViewer(role: 'proctor' | 'auditor' | 'admin' = 'proctor') {
  const student = await openStudentLink(baseUrl(), (await examWithCandidate()).link)
  const api = studentApi(baseUrl(), student)
  await api.startAttempt()
  const body = Buffer.concat([WEBM_HEAD, randomBytes(RECORDING_BYTES - WEBM_HEAD.length)])
  const stored = await api.uploadChunk('webcam', 0, body)
  if (stored.status !== 201) throw new Error(`the chunk answered ${stored.status}: ${await stored.text()}`)
  const recording = await Recording.query().where({ stream: 'webcam' }).orderBy('id', 'desc').firstOrFail()
  const { user, password } = await staffUser(role)
  const viewer = new WebClient(baseUrl())
  await viewer.login(user.email, password)
  const media = (query = '', range?: string) =>
    viewer.request(`/staff/recordings/${recording.id}/media${query}`, { headers: range ? { range } : {} })
  return { recording, user, body, media }
}

/** The archive's entries about one recording by one user, oldest first. */
function entriesOf(recordingId: number, userId: number, action?: string) {
  const query = AuditEntry.query().where({ subjectType: 'recording', subjectId: String(recordingId), userId }).orderBy('id')
  return action ? query.where('action', action) : query
}

test.group('Every access to a recording is archived', () => {
  test('a recording read from byte 1 is in the action archive', async ({ assert }) => {
    const { recording, user, body, media } = await recordingAndViewer()
    const response = await media('', 'bytes=1-')
    assert.equal(response.status, 206)
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), body.subarray(1))

    const entries = await entriesOf(recording.id, user.id)
    assert.lengthOf(entries, 1)
    assert.equal(entries[0].action, 'recording.view')
    assert.deepInclude(entries[0].details!, { stream: 'webcam', range: 'bytes=1-' })
    assert.isTrue((await verifyArchive()).ok)
  })

  test('the range requests of one viewing make one archive entry', async ({ assert }) => {
    const { recording, user, media } = await recordingAndViewer()
    for (const range of [undefined, 'bytes=0-', 'bytes=100-', 'bytes=1-', 'bytes=5000-5999', undefined]) {
      const response = await media('', range)
      assert.oneOf(response.status, [200, 206])
      await response.arrayBuffer()
    }
    assert.lengthOf(await entriesOf(recording.id, user.id), 1)

    /* Another user watching the same recording is a viewing of their own. */
    const { user: auditor, password } = await staffUser('auditor')
    const other = new WebClient(baseUrl())
    await other.login(auditor.email, password)
    await (await other.request(`/staff/recordings/${recording.id}/media`, { headers: { range: 'bytes=1-' } })).arrayBuffer()
    assert.lengthOf(await entriesOf(recording.id, auditor.id), 1)
    assert.lengthOf(await entriesOf(recording.id, user.id), 1)
  })

  test('a viewing after the idle time is a new archive entry', async ({ assert }) => {
    const { recording, user, media } = await recordingAndViewer()
    await (await media('', 'bytes=0-')).arrayBuffer()
    await (await media('', 'bytes=100-')).arrayBuffer()
    assert.lengthOf(await entriesOf(recording.id, user.id), 1)

    /* The idle time passes (moved back in the database rather than waited for). */
    const idleMs = env.get('ARCHIVE_VIEWING_IDLE_MINUTES', 30) * 60_000
    await db
      .from('access_viewings')
      .where({ user_id: user.id, subject_type: 'recording', subject_id: String(recording.id) })
      .update({ last_access_at: Date.now() - idleMs - 1000, started_at: Date.now() - idleMs - 60_000 })
    await (await media('', 'bytes=100-')).arrayBuffer()
    const entries = await entriesOf(recording.id, user.id)
    assert.lengthOf(entries, 2)
    assert.deepEqual(entries.map((e) => e.action), ['recording.view', 'recording.view'])
  })

  test('a viewing from another address is a new archive entry', async ({ assert }) => {
    const { recording, user, media } = await recordingAndViewer()
    await (await media('', 'bytes=0-')).arrayBuffer()
    /* As if the earlier requests had come from elsewhere (a copied session cookie, say). */
    await db.from('access_viewings').where({ user_id: user.id, subject_id: String(recording.id) }).update({ ip: '203.0.113.9' })
    await (await media('', 'bytes=100-')).arrayBuffer()
    assert.lengthOf(await entriesOf(recording.id, user.id), 2)
  })

  test('a download is always archived', async ({ assert }) => {
    const { recording, user, body, media } = await recordingAndViewer('admin')
    await (await media('', 'bytes=0-')).arrayBuffer()
    const whole = await media('?download=1')
    assert.equal(whole.status, 200)
    assert.match(whole.headers.get('content-disposition')!, /^attachment/)
    assert.deepEqual(Buffer.from(await whole.arrayBuffer()), body)
    /* A resumed download, inside the same viewing, from byte 1. */
    const resumed = await media('?download=1', 'bytes=1-')
    assert.equal(resumed.status, 206)
    await resumed.arrayBuffer()

    const downloads = await entriesOf(recording.id, user.id, 'recording.download')
    assert.lengthOf(downloads, 2)
    assert.deepEqual(downloads.map((e) => e.details!.range), [null, 'bytes=1-'])
    assert.lengthOf(await entriesOf(recording.id, user.id, 'recording.view'), 1)
  })
})
