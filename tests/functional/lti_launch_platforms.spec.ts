import { test } from '@japa/runner'
import env from '#start/env'
import System from '#models/system'
import AuditEntry from '#models/audit_entry'
import LtiToolKey from '#models/lti_tool_key'
import ProctoringSession from '#models/proctoring_session'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { WebClient } from '#tests/helpers/http'

const baseUrl = () => env.get('APP_URL')
const csrfOf = (html: string) => /name='_csrf' value='([^']+)'/.exec(html)?.[1] ?? ''

async function admin() {
  const { user, password } = await staffUser('admin')
  const client = new WebClient(baseUrl(), 'en')
  await client.login(user.email, password)
  const csrf = csrfOf(await (await client.request('/staff/lti')).text())
  const post = (path: string, fields: Record<string, string>) =>
    client.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
    })
  return { client, post }
}

const FORM = {
  name: 'Moodle университета',
  issuer: 'https://moodle.university.kz',
  clientId: 'aBcD1234',
  deploymentIds: '1\r\n7\r\n1',
  authLoginUrl: 'https://moodle.university.kz/mod/lti/auth.php',
  tokenUrl: 'https://moodle.university.kz/mod/lti/token.php',
  jwksUrl: 'https://moodle.university.kz/mod/lti/certs.php',
  active: '1',
}

test.group('LTI platforms registered by hand (/staff/lti)', () => {
  test('an admin registers Moodle by hand, changes and deletes it; each step is archived with what changed', async ({ assert }) => {
    const { client, post } = await admin()
    const created = await post('/staff/lti', FORM)
    assert.equal(created.status, 302)
    assert.equal(created.headers.get('location'), '/staff/lti')
    const system = await System.query().where({ kind: 'lti', clientId: 'aBcD1234' }).firstOrFail()
    assert.deepEqual(system.deploymentIds, ['1', '7'])
    assert.equal(system.deploymentId, '1')
    assert.equal(system.registrationSource, 'manual')
    assert.equal(system.tokenUrl, FORM.tokenUrl)
    const page = await (await client.request('/staff/lti')).text()
    assert.include(page, 'Moodle университета')
    assert.include(page, 'Saved: Moodle университета.')

    /* The same issuer and client id a second time: refused next to the client id, nothing made. */
    const twice = await post('/staff/lti', FORM)
    assert.equal(twice.status, 422)
    assert.include(await twice.text(), 'data-field-error="LTI_PLATFORM_TAKEN"')
    assert.lengthOf(await System.query().where({ kind: 'lti', clientId: 'aBcD1234' }), 1)

    const changed = await post(`/staff/lti/${system.id}`, { ...FORM, deploymentIds: '1', active: '' })
    assert.equal(changed.status, 302)
    await system.refresh()
    assert.deepEqual(system.deploymentIds, ['1'])
    assert.isFalse(system.active)
    const update = await AuditEntry.query().where({ action: 'lti.platform_update', subjectId: String(system.id) }).firstOrFail()
    assert.deepEqual((update.details as any).changes.deploymentIds, [['1', '7'], ['1']])
    assert.deepEqual((update.details as any).changes.active, [true, false])

    const deleted = await post(`/staff/lti/${system.id}/delete`, {})
    assert.equal(deleted.status, 302)
    assert.isNull(await System.find(system.id))
    assert.exists(await AuditEntry.query().where({ action: 'lti.platform_create', subjectId: String(system.id) }).first())
    assert.exists(await AuditEntry.query().where({ action: 'lti.platform_delete', subjectId: String(system.id) }).first())
  })

  test('a form with bad fields comes back with each error next to its field and what was typed', async ({ assert }) => {
    const { post } = await admin()
    const response = await post('/staff/lti', { ...FORM, issuer: 'moodle', jwksUrl: 'javascript:alert(1)', deploymentIds: ' , ' })
    assert.equal(response.status, 422)
    const html = await response.text()
    assert.match(html, /name="issuer" value="moodle"[^>]*aria-invalid="true"/s)
    assert.include(html, 'data-field-error="URL_INVALID"')
    assert.include(html, 'data-field-error="FIELD_INVALID"')
    assert.include(html, 'value="Moodle университета"')
    assert.lengthOf(await System.query().where({ kind: 'lti', name: 'Moodle университета', issuer: 'moodle' }), 0)
  })

  test('a platform students came through is not deleted: it is switched off instead', async ({ assert }) => {
    const { post } = await admin()
    const system = await System.create({ kind: 'lti', name: 'Moodle (used)', issuer: 'https://used.example', clientId: 'used', deploymentIds: ['1'], deploymentId: '1', authLoginUrl: 'https://used.example/auth', jwksUrl: 'https://used.example/jwks', active: true })
    const { exam, candidate } = await examWithCandidate()
    await ProctoringSession.create({ publicId: crypto.randomUUID(), examId: exam.id, candidateId: candidate.id, systemId: system.id, status: 'not_started', decision: 'none', archived: false, violationCount: 0 })
    const refused = await post(`/staff/lti/${system.id}/delete`, {})
    assert.equal(refused.status, 409)
    assert.include(await refused.text(), 'data-error-code="LTI_PLATFORM_IN_USE"')
    assert.exists(await System.find(system.id))
  })

  test('rotating the keys keeps the previous key published and is archived', async ({ assert }) => {
    const { post } = await admin()
    const before = await (await fetch(`${baseUrl()}/lti/jwks`)).json()
    const rotated = await post('/staff/lti/keys/rotate', {})
    assert.equal(rotated.status, 302)
    const after = await (await fetch(`${baseUrl()}/lti/jwks`)).json()
    const newest = await LtiToolKey.query().whereNull('retiredAt').orderBy('id', 'desc').firstOrFail()
    assert.equal(after.keys[0].kid, newest.kid)
    assert.include(after.keys.map((key: any) => key.kid), before.keys[0].kid)
    assert.isAtMost(after.keys.length, 2)
    assert.exists(await AuditEntry.query().where({ action: 'lti.keys_rotate', subjectId: newest.kid }).first())
  })
})
