import { test } from '@japa/runner'
import env from '#start/env'
import User from '#models/user'
import AuditEntry from '#models/audit_entry'
import { staffUser } from '#tests/helpers/fixtures'
import { WebClient } from '#tests/helpers/http'

const baseUrl = () => env.get('APP_URL')

async function loggedIn(role: 'admin' | 'proctor' | 'auditor', language = 'en') {
  const { user, password } = await staffUser(role)
  const client = new WebClient(baseUrl(), language)
  await client.login(user.email, password)
  const page = await (await client.request('/staff/results')).text()
  return { client, user, password, csrf: /name='_csrf' value='([^']+)'/.exec(page)?.[1] ?? '' }
}

function post(client: WebClient, path: string, fields: [string, string][]) {
  return client.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  })
}

const csrfOf = (html: string) => /name='_csrf' value='([^']+)'/.exec(html)?.[1] ?? ''

test.group('Staff users (issue 8)', () => {
  test('an admin creates an account and gets a one-time link with which the person chooses a password and signs in', async ({ assert }) => {
    const admin = await loggedIn('admin')
    const email = `new.proctor.${Date.now()}@test.kz`
    const created = await post(admin.client, '/staff/users', [['_csrf', admin.csrf], ['fullName', 'Сейтқали Мөлдір'], ['email', email], ['role', 'proctor']])
    assert.equal(created.status, 200)
    const page = await created.text()
    const link = /value="(http[^"]+\/staff\/password\/[^"]+)"/.exec(page)?.[1]
    assert.isDefined(link)
    assert.isTrue(link!.startsWith(`${baseUrl()}/staff/password/`), link)
    const user = await User.findByOrFail('email', email)
    assert.equal(user.role, 'proctor')
    const entry = await AuditEntry.query().where({ action: 'staff_user.create', subjectId: String(user.id) }).firstOrFail()
    assert.equal(entry.userId, admin.user.id)

    const list = await (await admin.client.request('/staff/users')).text()
    assert.include(list, 'Сейтқали Мөлдір')
    assert.match(list, new RegExp(`data-user="${user.id}"[\\s\\S]*?Never`))

    /* The person opens the link: a mismatch is shown beside the field; then the password is set. */
    const person = new WebClient(baseUrl(), 'ru')
    const path = link!.slice(baseUrl().length)
    const form = await (await person.request(path)).text()
    assert.include(form, 'Задайте пароль')
    const mismatch = await post(person, path, [['_csrf', csrfOf(form)], ['password', 'long enough pass'], ['confirmation', 'another one here']])
    assert.equal(mismatch.status, 422)
    assert.include(await mismatch.text(), 'data-field="confirmation"')
    const chosen = await post(person, path, [['_csrf', csrfOf(form)], ['password', 'long enough pass'], ['confirmation', 'long enough pass']])
    assert.equal(chosen.status, 302)
    assert.equal(chosen.headers.get('location'), '/login')
    const login = await new WebClient(baseUrl()).login(email, 'long enough pass')
    assert.equal(login.headers.get('location'), '/staff/results')

    /* The link worked once. */
    const again = await fetch(`${baseUrl()}${path}`)
    assert.equal(again.status, 403)
    assert.include(await again.text(), 'data-error-code="PASSWORD_LINK_USED"')
    const list2 = await (await admin.client.request('/staff/users')).text()
    const row = new RegExp(`data-user="${user.id}"[\\s\\S]*?</tr>`).exec(list2)![0]
    assert.notInclude(row, 'Never')
  })

  test('the user form with bad input shows an error beside each field, keeps what was typed and creates nothing', async ({ assert }) => {
    const admin = await loggedIn('admin', 'kk')
    const before = (await User.all()).length
    const response = await post(admin.client, '/staff/users', [['_csrf', admin.csrf], ['fullName', 'Аб'], ['email', 'not-an-email'], ['role', 'superuser']])
    assert.equal(response.status, 422)
    const page = await response.text()
    assert.include(page, 'data-error-code="VALIDATION_FAILED"')
    for (const field of ['fullName', 'email', 'role']) assert.include(page, `data-field="${field}"`)
    assert.include(page, 'value="not-an-email"')
    assert.include(page, 'Ештеңе сақталмады')
    const taken = await post(admin.client, '/staff/users', [['_csrf', admin.csrf], ['fullName', 'Екінші Әкімші'], ['email', admin.user.email], ['role', 'admin']])
    assert.equal(taken.status, 422)
    assert.include(await taken.text(), 'Бұл e-mail басқа есептік жазбада бар.')
    assert.equal((await User.all()).length, before)
  })

  test("changing a role or deactivating an account ends that person's sessions; both are archived", async ({ assert }) => {
    const admin = await loggedIn('admin')
    const proctor = await loggedIn('proctor')
    const auditor = await loggedIn('auditor')
    assert.equal((await proctor.client.request('/staff/results')).status, 200)

    const changed = await post(admin.client, `/staff/users/${auditor.user.id}`, [['_csrf', admin.csrf], ['role', 'proctor']])
    assert.equal(changed.status, 302)
    await auditor.user.refresh()
    assert.equal(auditor.user.role, 'proctor')
    assert.equal((await auditor.client.request('/staff/results')).headers.get('location'), '/login')
    const update = await AuditEntry.query().where({ action: 'staff_user.update', subjectId: String(auditor.user.id) }).firstOrFail()
    assert.deepInclude(update.details as object, { before: { role: 'auditor', examIds: [], groupIds: [] } })

    const off = await post(admin.client, `/staff/users/${proctor.user.id}/deactivate`, [['_csrf', admin.csrf]])
    assert.equal(off.status, 302)
    assert.equal((await proctor.client.request('/staff/results')).headers.get('location'), '/login')
    const relogin = await new WebClient(baseUrl()).login(proctor.user.email, proctor.password)
    assert.notEqual(relogin.headers.get('location'), '/staff/results')
    await AuditEntry.query().where({ action: 'staff_user.deactivated', subjectId: String(proctor.user.id) }).firstOrFail()
    const list = await (await admin.client.request('/staff/users')).text()
    assert.match(list, new RegExp(`data-user="${proctor.user.id}"[\\s\\S]*?data-state="inactive"`))
  })

  test('the last sign-in is shown', async ({ assert }) => {
    const admin = await loggedIn('admin')
    const other = await loggedIn('proctor')
    const list = await (await admin.client.request('/staff/users')).text()
    const row = new RegExp(`data-user="${other.user.id}"[\\s\\S]*?</tr>`).exec(list)![0]
    assert.notInclude(row, 'Never')
    assert.match(row, /\d\d\.\d\d\.\d{4} \d\d:\d\d/)
  })

  test('a proctor and an auditor get 403 on every staff users route', async ({ assert }) => {
    const admin = await loggedIn('admin')
    for (const role of ['proctor', 'auditor'] as const) {
      const { client, csrf } = await loggedIn(role)
      for (const path of ['/staff/users', '/staff/users/new', `/staff/users/${admin.user.id}/edit`]) {
        assert.equal((await client.request(path)).status, 403, `${role} GET ${path}`)
      }
      for (const path of ['/staff/users', `/staff/users/${admin.user.id}`, `/staff/users/${admin.user.id}/deactivate`, `/staff/users/${admin.user.id}/password-link`]) {
        const response = await post(client, path, [['_csrf', csrf], ['fullName', 'Someone Else'], ['email', `x${Date.now()}@test.kz`], ['role', 'admin']])
        assert.equal(response.status, 403, `${role} POST ${path}`)
      }
    }
    await admin.user.refresh()
    assert.isTrue(admin.user.active)
    assert.equal(admin.user.role, 'admin')
  })

  test('no staff users form changes anything without its CSRF token', async ({ assert }) => {
    const admin = await loggedIn('admin')
    const target = await loggedIn('proctor')
    const before = (await User.all()).length
    for (const [path, fields] of [
      ['/staff/users', [['fullName', 'No Token'], ['email', `no.token.${Date.now()}@test.kz`], ['role', 'admin']]],
      [`/staff/users/${target.user.id}`, [['role', 'admin']]],
      [`/staff/users/${target.user.id}/deactivate`, []],
      [`/staff/users/${target.user.id}/password-link`, []],
    ] as [string, [string, string][]][]) {
      const response = await post(admin.client, path, fields)
      assert.equal(response.status, 302, path)
      assert.notEqual(response.headers.get('location'), '/staff/users')
    }
    await target.user.refresh()
    assert.equal(target.user.role, 'proctor')
    assert.isTrue(target.user.active)
    assert.equal((await User.all()).length, before)
    assert.equal((await target.client.request('/staff/results')).status, 200)
  })
})
