import { randomBytes } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { test } from '@japa/runner'
import env from '#start/env'
import System from '#models/system'
import Candidate from '#models/candidate'
import Group from '#models/group'
import ProctoringSession from '#models/proctoring_session'
import AuditEntry from '#models/audit_entry'
import { examWithCandidate, staffUser, studentConfigFrom } from '#tests/helpers/fixtures'
import { WebClient } from '#tests/helpers/http'
import { regenerateSecret } from '#actions/systems/secrets'
import { signSystemPayload } from '#actions/systems/system_link'

const baseUrl = () => env.get('APP_URL')
const ADMIN = { userId: null, name: 'test', role: 'admin' }
let seq = 0

/** A portal registered as a signed-link system, with its link secret (as the admin copied it). */
async function portal(overrides: Partial<System> = {}) {
  seq++
  const system = await System.create({ name: `Portal ${seq} ${Date.now()}`, kind: 'link', active: true, ...overrides } as any)
  const secret = await regenerateSecret(ADMIN, system, 'link')
  return { system, secret }
}

/** What the portal builds, README "Other systems": /x/<system>/<base64url JSON>.<hex HMAC-SHA256>. */
function portalLink(systemId: number, secret: string, fields: Record<string, unknown>) {
  const payload = Buffer.from(JSON.stringify(fields)).toString('base64url')
  return { path: `/x/${systemId}/${payload}.${signSystemPayload(secret, payload)}`, payload }
}

function claims(examId: number, extra: Record<string, unknown> = {}) {
  seq++
  return {
    exam: examId,
    id: `S-${seq}-${Date.now()}`,
    name: `Айгерим Портальная ${seq}`,
    email: `student${seq}@uni.kz`,
    group: `ИС-${seq}`,
    exp: Math.floor(Date.now() / 1000) + 600,
    nonce: randomBytes(16).toString('base64url'),
    ...extra,
  }
}

const open = (path: string, language = 'en') => fetch(`${baseUrl()}${path}`, { redirect: 'manual', headers: { 'accept-language': language } })

/** The refusal page's code, as the student sees it. */
async function refusal(response: Response) {
  const html = await response.text()
  return { status: response.status, code: /data-error-code="([A-Z_]+)"/.exec(html)?.[1], html }
}

test.group('Signed links from other systems (issue 10)', () => {
  test('a portal\'s signed link lets the student in, the session carries the system and the results filter by system finds it', async ({ assert }) => {
    const { exam } = await examWithCandidate()
    const { system, secret } = await portal()
    const fields = claims(exam.id)
    const response = await open(portalLink(system.id, secret, fields).path)
    assert.equal(response.status, 302)
    assert.equal(response.headers.get('cache-control'), 'no-store')
    const next = response.headers.get('location')!
    assert.match(next, /^\/s\//)

    /* On into the normal student flow: the exam page, reloadable. */
    const page = await fetch(`${baseUrl()}${next}`)
    assert.equal(page.status, 200)
    const { sessionId } = studentConfigFrom(await page.text())
    const session = await ProctoringSession.findByOrFail('publicId', sessionId)
    assert.equal(session.systemId, system.id)
    assert.equal(session.examId, exam.id)

    /* The candidate made from what the portal said, keyed by (system, external id). */
    const candidate = await Candidate.findOrFail(session.candidateId)
    assert.equal(candidate.systemId, system.id)
    assert.equal(candidate.externalId, fields.id)
    assert.equal(candidate.fullName, fields.name)
    assert.equal(candidate.email, fields.email)
    assert.equal((await Group.findOrFail(candidate.groupId!)).name, fields.group)

    /* A second link for the same student finds the same candidate, with the portal's new name. */
    const again = await open(portalLink(system.id, secret, { ...fields, name: 'Айгерим Новая', nonce: randomBytes(16).toString('base64url') }).path)
    assert.equal(again.status, 302)
    assert.equal((await Candidate.query().where({ systemId: system.id, externalId: fields.id })).length, 1)
    await candidate.refresh()
    assert.equal(candidate.fullName, 'Айгерим Новая')

    /* Archived: who came in through which system. */
    const entries = await AuditEntry.query().where({ action: 'system_link.admit', subjectId: String(candidate.id) })
    assert.lengthOf(entries, 2)
    assert.equal((entries[0].details as any).system, system.id)
    assert.equal((entries[0].details as any).created, true)

    /* The results list filtered by this system shows the session, and by another system does not. */
    const { user, password } = await staffUser('admin')
    const client = new WebClient(baseUrl())
    await client.login(user.email, password)
    const filtered = await (await client.request(`/staff/results?system=${system.id}`)).text()
    assert.include(filtered, 'Айгерим Новая')
    const other = await portal()
    const elsewhere = await (await client.request(`/staff/results?system=${other.system.id}`)).text()
    assert.notInclude(elsewhere, 'Айгерим Новая')
  })

  test('a replayed signed link is refused', async ({ assert }) => {
    const { exam } = await examWithCandidate()
    const { system, secret } = await portal()
    const { path } = portalLink(system.id, secret, claims(exam.id))
    assert.equal((await open(path)).status, 302)
    const sessions = await ProctoringSession.query().where('systemId', system.id)

    const replay = await refusal(await open(path, 'ru'))
    assert.equal(replay.status, 403)
    assert.equal(replay.code, 'SYSTEM_LINK_REPLAYED')
    assert.include(replay.html, 'Эта ссылка уже использована')
    assert.lengthOf(await ProctoringSession.query().where('systemId', system.id), sessions.length)
  })

  test('a tampered signed link is refused and lets no one in', async ({ assert }) => {
    const { exam } = await examWithCandidate()
    const { system, secret } = await portal()
    const fields = claims(exam.id)
    const { payload } = portalLink(system.id, secret, fields)
    const signature = signSystemPayload(secret, payload)

    /* Another student's id under the first link's signature. */
    const forged = Buffer.from(JSON.stringify({ ...fields, id: 'someone-else' })).toString('base64url')
    const changed = await refusal(await open(`/x/${system.id}/${forged}.${signature}`))
    assert.deepEqual([changed.status, changed.code], [403, 'SYSTEM_LINK_INVALID'])

    /* Signed with another key (a guessed or old secret). */
    const wrongKey = await refusal(await open(`/x/${system.id}/${payload}.${signSystemPayload('not-the-secret', payload)}`))
    assert.deepEqual([wrongKey.status, wrongKey.code], [403, 'SYSTEM_LINK_INVALID'])

    /* A regenerated secret: links signed with the old one stop working. */
    await regenerateSecret(ADMIN, system, 'link')
    const old = await refusal(await open(`/x/${system.id}/${payload}.${signature}`, 'kk'))
    assert.deepEqual([old.status, old.code], [403, 'SYSTEM_LINK_INVALID'])
    assert.include(old.html, 'Сілтеме қолтаңбасы сәйкес келмейді')

    /* Correctly signed but not the agreed fields. */
    const fresh = (await System.findOrFail(system.id))
    const { secretOf } = await import('#actions/systems/secrets')
    const newSecret = secretOf(fresh, 'link')!
    const bad = await refusal(await open(portalLink(system.id, newSecret, { ...claims(exam.id), exam: 'physics' }).path))
    assert.deepEqual([bad.status, bad.code], [400, 'SYSTEM_LINK_MALFORMED'])

    assert.isNull(await Candidate.query().where({ systemId: system.id }).first())
  })

  test('an expired signed link, or one valid too long, is refused', async ({ assert }) => {
    const { exam } = await examWithCandidate()
    const { system, secret } = await portal()
    const now = Math.floor(Date.now() / 1000)
    const expired = await refusal(await open(portalLink(system.id, secret, claims(exam.id, { exp: now - 120 })).path))
    assert.deepEqual([expired.status, expired.code], [403, 'SYSTEM_LINK_EXPIRED'])
    /* Within the clock skew it still opens. */
    assert.equal((await open(portalLink(system.id, secret, claims(exam.id, { exp: now - 10 })).path)).status, 302)
    const tooFar = await refusal(await open(portalLink(system.id, secret, claims(exam.id, { exp: now + 30 * 24 * 3600 })).path))
    assert.deepEqual([tooFar.status, tooFar.code], [403, 'SYSTEM_LINK_EXPIRY_TOO_FAR'])
  })

  test('a link from an unknown, switched-off or LTI system, or for a missing or archived exam, is refused', async ({ assert }) => {
    const { exam } = await examWithCandidate()
    const { system, secret } = await portal()
    const unknown = await refusal(await open(portalLink(999999, secret, claims(exam.id)).path))
    assert.deepEqual([unknown.status, unknown.code], [404, 'SYSTEM_UNKNOWN'])

    const lti = await System.create({ name: `LMS ${Date.now()}`, kind: 'lti', active: true } as any)
    const notLink = await refusal(await open(portalLink(lti.id, secret, claims(exam.id)).path))
    assert.deepEqual([notLink.status, notLink.code], [404, 'SYSTEM_UNKNOWN'])

    const fields = claims(exam.id)
    system.active = false
    await system.save()
    const off = await refusal(await open(portalLink(system.id, secret, fields).path))
    assert.deepEqual([off.status, off.code], [403, 'SYSTEM_INACTIVE'])
    /* Switched on again, the same link still opens: a refused link did not use up its nonce. */
    system.active = true
    await system.save()
    assert.equal((await open(portalLink(system.id, secret, fields).path)).status, 302)

    const noExam = await refusal(await open(portalLink(system.id, secret, claims(987654)).path))
    assert.deepEqual([noExam.status, noExam.code], [404, 'EXAM_NOT_FOUND'])
    const { exam: shelved } = await examWithCandidate({ archived: true })
    const archived = await refusal(await open(portalLink(system.id, secret, claims(shelved.id)).path))
    assert.deepEqual([archived.status, archived.code], [409, 'EXAM_ARCHIVED'])

    const noSecret = await System.create({ name: `Bare ${Date.now()}`, kind: 'link', active: true } as any)
    const bare = await refusal(await open(portalLink(noSecret.id, secret, claims(exam.id)).path))
    assert.deepEqual([bare.status, bare.code], [403, 'SYSTEM_SECRET_MISSING'])
  })
})

test.group('Signed-link systems: the admin\'s side (issue 10)', () => {
  async function admin() {
    const { user, password } = await staffUser('admin')
    const client = new WebClient(baseUrl())
    await client.login(user.email, password)
    const page = await (await client.request('/staff/directory')).text()
    const csrf = /name='_csrf' value='([^']+)'/.exec(page)?.[1] ?? ''
    const post = (path: string, fields: Record<string, string> = {}) =>
      client.request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
      })
    return { client, post }
  }

  test('an admin makes a system\'s link secret, sees it once, and regenerating it asks first and is archived', async ({ assert }) => {
    const { client, post } = await admin()
    const system = await System.create({ name: `Portal admin ${Date.now()}`, kind: 'link', active: true } as any)
    const editPath = `/staff/directory/systems/${system.id}/edit`
    const before = await (await client.request(editPath)).text()
    assert.match(before, /data-testid="link-secret-state">\s*<span class="badge">Not made yet/)
    assert.include(before, `action="/staff/directory/systems/${system.id}/secrets/link"`)

    const made = await post(`/staff/directory/systems/${system.id}/secrets/link`)
    assert.equal(made.status, 200)
    assert.equal(made.headers.get('cache-control'), 'no-store')
    const secret = /value="([^"]+)"[^>]*data-testid="new-secret"/.exec(await made.text())?.[1]
    assert.isString(secret)
    assert.lengthOf(secret!, 43)
    const { secretOf } = await import('#actions/systems/secrets')
    await system.refresh()
    assert.equal(secretOf(system, 'link'), secret)
    assert.notInclude(system.linkSecret!, secret!, 'stored encrypted')

    /* Not shown again; regenerating sits behind a confirmation. */
    const after = await (await client.request(editPath)).text()
    assert.notInclude(after, secret!)
    assert.match(after, /data-testid="link-secret-state">\s*<span class="badge">Made /)
    assert.match(after, /<details class="secret-confirm">[\s\S]*links signed with the old one are refused[\s\S]*Yes, make a new secret/)

    const remade = await post(`/staff/directory/systems/${system.id}/secrets/link`)
    const second = /value="([^"]+)"[^>]*data-testid="new-secret"/.exec(await remade.text())?.[1]
    assert.isString(second)
    assert.notEqual(second, secret)

    const entries = await AuditEntry.query().where({ action: 'system.link_secret', subjectId: String(system.id) }).orderBy('id', 'asc')
    assert.deepEqual(entries.map((entry) => entry.details), [{ replaced: false }, { replaced: true }])
    assert.notInclude(JSON.stringify(entries.map((entry) => entry.serialize())), secret!)

    /* An LTI system has no link secret (only a webhook secret). */
    const lti = await System.create({ name: `LMS admin ${Date.now()}`, kind: 'lti', active: true } as any)
    assert.equal((await post(`/staff/directory/systems/${lti.id}/secrets/link`)).status, 404)
    assert.equal((await post(`/staff/directory/systems/${lti.id}/secrets/webhook`)).status, 200)
  })

  test('a system\'s webhook URL must be http or https, and a change is archived', async ({ assert }) => {
    const { post } = await admin()
    const system = await System.create({ name: `Portal url ${Date.now()}`, kind: 'link', active: true } as any)
    const refused = await post(`/staff/directory/systems/${system.id}`, { name: system.name, kind: 'link', active: '1', webhookUrl: 'ftp://portal.uni.kz/hook' })
    assert.equal(refused.status, 422)
    const page = await refused.text()
    assert.include(page, 'data-field-error="URL_INVALID"')
    assert.include(page, 'value="ftp://portal.uni.kz/hook"', 'the form keeps what was typed')
    await system.refresh()
    assert.isNull(system.webhookUrl)

    const saved = await post(`/staff/directory/systems/${system.id}`, { name: system.name, kind: 'link', active: '1', webhookUrl: 'https://portal.uni.kz/hooks/proctor' })
    assert.equal(saved.status, 302)
    await system.refresh()
    assert.equal(system.webhookUrl, 'https://portal.uni.kz/hooks/proctor')
    const entry = await AuditEntry.query().where({ action: 'system.update', subjectId: String(system.id) }).orderBy('id', 'desc').firstOrFail()
    assert.deepEqual((entry.details as any).changes.webhookUrl, [null, 'https://portal.uni.kz/hooks/proctor'])
  })

  test('the README\'s shell example builds a link the appliance lets in, once', async ({ assert }) => {
    const { exam } = await examWithCandidate()
    const { system, secret } = await portal()
    const readme = readFileSync('README.md', 'utf8')
    const block = /<!-- system-link-example[^>]*-->\n```sh\n([\s\S]*?)```/.exec(readme)?.[1]
    assert.isString(block, 'the README has the example')
    const script = block!
      .replace("SECRET='paste the link secret here'", `SECRET='${secret}'`)
      .replace('SYSTEM=3', `SYSTEM=${system.id}`)
      .replace('EXAM=12', `EXAM=${exam.id}`)
    const url = execFileSync('bash', ['-c', script], { encoding: 'utf8' }).trim()
    const path = url.slice(url.indexOf('/x/'))
    assert.equal((await open(path)).status, 302)
    const candidate = await Candidate.query().where({ systemId: system.id, externalId: 'S-2024-0157' }).firstOrFail()
    assert.equal(candidate.fullName, 'Айгерим Сапарова')
    assert.equal((await refusal(await open(path))).code, 'SYSTEM_LINK_REPLAYED')
  })
})
