import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import AuditEntry from '#models/audit_entry'
import { staffUser } from '#tests/helpers/fixtures'
import { WebClient } from '#tests/helpers/http'
import { AppServer } from '#tests/helpers/app_server'

const baseUrl = () => env.get('APP_URL')

/** The login form posted by a client that asks for JSON answers (CSRF token in its header). */
async function jsonLogin(client: WebClient, email: string, password: string) {
  const page = await (await client.request('/login')).text()
  const csrf = /name='_csrf' value='([^']+)'/.exec(page)![1]
  return client.request('/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept': 'application/json', 'x-csrf-token': csrf },
    body: new URLSearchParams({ email, password }).toString(),
  })
}

/** Wrong passwords until the account's limit (10 a minute) is used up; each still answers as a plain failure. */
async function useUpAccountLimit(client: WebClient, email: string, assert: any) {
  for (let i = 1; i <= 10; i++) {
    const response = await client.login(email, `wrong password ${i}`)
    assert.equal(response.status, 302, `attempt ${i}`)
    assert.equal(response.headers.get('location'), '/login', `attempt ${i}`)
  }
}

/** Address counters are shared by every test (all log in from 127.0.0.1). */
async function forgetAddressLimits() {
  await db.from('rate_limits').where('key', 'like', '%login:address:%').delete()
}

test.group('Login throttling', (group) => {
  group.each.teardown(forgetAddressLimits)

  test('the 11th wrong password in a minute is refused with LOGIN_THROTTLED', async ({ assert }) => {
    const { user, password } = await staffUser('proctor')
    const client = new WebClient(baseUrl(), 'ru')
    await useUpAccountLimit(client, user.email, assert)

    const eleventh = await client.login(user.email, 'wrong password 11')
    assert.equal(eleventh.status, 429)
    assert.isAbove(Number(eleventh.headers.get('retry-after')), 0)
    const page = await eleventh.text()
    assert.include(page, 'data-error-code="LOGIN_THROTTLED"')
    assert.include(page, 'Слишком много попыток входа. Повторите через 15 минут.')
    assert.include(page, `value="${user.email}"`, 'the form keeps the e-mail typed')

    /* The right password is refused too while the account is throttled. */
    const right = await client.login(user.email, password)
    assert.equal(right.status, 429)
    assert.equal((await client.request('/staff/results')).headers.get('location'), '/login')

    const json = await jsonLogin(new WebClient(baseUrl(), 'en'), user.email, password)
    assert.equal(json.status, 429)
    assert.isAbove(Number(json.headers.get('retry-after')), 0)
    const body = await json.json()
    assert.equal(body.error.code, 'LOGIN_THROTTLED')
    assert.equal(body.error.message, 'Too many sign-in attempts. Try again in 15 minutes.')

    const kazakh = await new WebClient(baseUrl(), 'kk').login(user.email, password)
    assert.include(await kazakh.text(), 'Кіру әрекеттері тым көп. 15 минуттан кейін қайталап көріңіз.')

    /* Only this account: another one logs in from the same address. */
    const other = await staffUser('proctor')
    const ok = await new WebClient(baseUrl()).login(other.user.email, other.password)
    assert.equal(ok.headers.get('location'), '/staff/results')
  })

  test('a successful login resets the account\'s count of wrong passwords', async ({ assert }) => {
    const { user, password } = await staffUser('auditor')
    const client = new WebClient(baseUrl())
    for (let i = 1; i <= 9; i++) await client.login(user.email, `wrong ${i}`)
    assert.equal((await client.login(user.email, password)).headers.get('location'), '/staff/results')
    /* Ten more wrong passwords are plain failures again (without the reset the second would be refused)... */
    const again = new WebClient(baseUrl())
    await useUpAccountLimit(again, user.email, assert)
    /* ...and the count still ends at ten. */
    assert.equal((await again.login(user.email, password)).status, 429)
  })

  test('wrong passwords for many accounts from one address are refused past the address limit', async ({ assert }) => {
    await forgetAddressLimits()
    const server = await AppServer.start({ LOGIN_ATTEMPTS_PER_ADDRESS: '5' })
    try {
      const client = new WebClient(server.url, 'en')
      for (let i = 1; i <= 5; i++) {
        const response = await client.login(`nobody${i}-${Date.now()}@test.kz`, 'guess')
        assert.equal(response.headers.get('location'), '/login', `account ${i}`)
      }
      /* A real account with its right password, from the same address. */
      const { user, password } = await staffUser('proctor')
      const refused = await jsonLogin(client, user.email, password)
      assert.equal(refused.status, 429)
      assert.equal((await refused.json()).error.code, 'LOGIN_THROTTLED')
    } finally {
      await server.stop()
    }
  }).timeout(120_000)

  test('login limits hold across an app restart', async ({ assert }) => {
    const { user, password } = await staffUser('admin')
    const server = await AppServer.start()
    try {
      const client = new WebClient(server.url)
      await useUpAccountLimit(client, user.email, assert)
      assert.equal((await client.login(user.email, 'wrong password 11')).status, 429)

      await server.stop()
      await server.start()
      const afterRestart = await jsonLogin(new WebClient(server.url), user.email, password)
      assert.equal(afterRestart.status, 429)
      assert.equal((await afterRestart.json()).error.code, 'LOGIN_THROTTLED')
    } finally {
      await server.stop()
    }
    /* Another app process on the same database refuses it as well. */
    assert.equal((await new WebClient(baseUrl()).login(user.email, password)).status, 429)
  }).timeout(180_000)

  test('a disabled account answers like a wrong password', async ({ assert }) => {
    const disabled = await staffUser('proctor')
    disabled.user.active = false
    await disabled.user.save()
    const active = await staffUser('proctor')

    const answers = []
    for (const [email, password] of [
      [disabled.user.email, disabled.password],
      [active.user.email, 'not the password'],
    ]) {
      const client = new WebClient(baseUrl(), 'en')
      const response = await client.login(email, password)
      const page = await (await client.request('/login')).text()
      const json = await jsonLogin(new WebClient(baseUrl(), 'en'), email, password)
      answers.push({
        status: response.status,
        location: response.headers.get('location'),
        alert: /<div class="alert alert-error"[^>]*>([^<]*)</.exec(page)?.[1],
        json: { status: json.status, body: await json.json() },
      })
      assert.equal((await client.request('/staff/results')).headers.get('location'), '/login')
    }
    assert.deepEqual(answers[0], answers[1])
    assert.equal(answers[0].alert, 'Wrong e-mail or password.')
    assert.deepEqual(answers[0].json, {
      status: 401,
      body: { error: { code: 'LOGIN_FAILED', message: 'Wrong e-mail or password.' } },
    })
  })

  test('logins, failures, logouts and throttling are in the action archive', async ({ assert }) => {
    const { user, password } = await staffUser('proctor')
    const client = new WebClient(baseUrl())
    const unknown = `nobody-${Date.now()}@test.kz`
    await client.login(unknown, 'guess')
    await client.login(user.email, 'wrong password')
    await client.login(user.email, password)
    const page = await (await client.request('/staff/results')).text()
    const csrf = /name='_csrf' value='([^']+)'/.exec(page)![1]
    const logout = await client.request('/logout', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf }).toString(),
    })
    assert.equal(logout.headers.get('location'), '/login')
    /* Then the account is throttled; further refusals do not each add a line. */
    for (let i = 0; i < 13; i++) await client.login(user.email, `wrong ${i}`)

    const entries = await AuditEntry.query()
      .whereIn('actorName', [unknown, user.email, user.fullName])
      .orderBy('id', 'asc')
    const lines = entries.map((e) => ({
      action: e.action,
      userId: e.userId,
      role: e.actorRole,
      subject: e.subjectId,
      reason: e.details?.reason ?? e.details?.scope,
      ip: e.ip,
    }))
    const failure = (reason: string, subject: string | null) =>
      ({ action: 'auth.login_failed', userId: null, role: 'anonymous', subject, reason, ip: '127.0.0.1' })
    assert.deepEqual(lines, [
      failure('unknown_account', null),
      failure('wrong_password', String(user.id)),
      { action: 'auth.login', userId: user.id, role: 'proctor', subject: null, reason: undefined, ip: '127.0.0.1' },
      { action: 'auth.logout', userId: user.id, role: 'proctor', subject: null, reason: undefined, ip: '127.0.0.1' },
      ...Array.from({ length: 10 }, () => failure('wrong_password', String(user.id))),
      { action: 'auth.throttled', userId: null, role: 'anonymous', subject: null, reason: 'account', ip: '127.0.0.1' },
    ])
    assert.equal(entries.at(-1)!.actorName, user.email)
  })
})
