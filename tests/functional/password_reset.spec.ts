import { test } from '@japa/runner'
import { Settings } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import AuditEntry from '#models/audit_entry'
import OutboxMessage from '#models/outbox_message'
import User from '#models/user'
import { staffUser } from '#tests/helpers/fixtures'
import { WebClient } from '#tests/helpers/http'
import { startSmtpServer } from '#tests/helpers/smtp'
import { deliverDueMail } from '#services/mail/outbox'
import { saveMailSettings } from '#actions/mail/mail_settings'
import { SYSTEM_ACTOR } from '#actions/audit/record_action'

const baseUrl = () => env.get('APP_URL')
const csrfOf = (html: string) => /name='_csrf' value='([^']+)'/.exec(html)?.[1] ?? ''

function post(client: WebClient, path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return client.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  })
}

/** Asks for a reset link through the login page's "Forgot password" form; the page it answers with. */
async function askForReset(email: string, language = 'en') {
  const client = new WebClient(baseUrl(), language)
  const login = await (await client.request('/login')).text()
  assert(login.includes('href="/login/forgot"'))
  const form = await (await client.request('/login/forgot')).text()
  const response = await post(client, '/login/forgot', { _csrf: csrfOf(form), email })
  return { status: response.status, html: await response.text() }
}

function assert(condition: boolean) {
  if (!condition) throw new Error('the login page has no "Forgot password" link')
}

/** The reset link in the e-mail, as a path on this server. */
function linkIn(text: string) {
  const url = /https?:\/\/\S+\/staff\/password\/\S+/.exec(text)?.[0]
  if (!url) throw new Error(`no link in the e-mail: ${text}`)
  return url.slice(baseUrl().length)
}

test.group('Forgot password (issue 11, P1)', (group) => {
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>
  group.each.setup(async () => {
    await db.from('outbox').delete()
    smtp = await startSmtpServer()
    await saveMailSettings(SYSTEM_ACTOR, { host: '127.0.0.1', port: smtp.port, tlsMode: 'none', fromAddress: 'proctoring@university.kz' })
    return () => smtp.close()
  })

  test('the answer is the same whether the address has an account or not; only a real account gets an e-mail, and both are archived', async ({ assert }) => {
    const { user } = await staffUser('proctor')
    const known = await askForReset(user.email)
    const unknown = await askForReset('nobody-here@university.kz')
    assert.equal(known.status, 200)
    assert.equal(unknown.status, 200)
    const said = (html: string, email: string) => /data-testid="reset-sent">([^<]+)</.exec(html)?.[1].replace(email, 'EMAIL')
    assert.equal(said(known.html, user.email), said(unknown.html, 'nobody-here@university.kz'))
    assert.include(known.html, 'a link to choose a new password is on its way there')
    assert.equal(await deliverDueMail(), 1)
    assert.lengthOf(smtp.received, 1)
    assert.deepEqual(smtp.received[0].envelope.to, [user.email])
    const entries = await AuditEntry.query().where('action', 'auth.password_reset').orderBy('id', 'desc').limit(2)
    assert.deepEqual(entries.map((e) => (e.details as any).sent).sort(), [false, true])
    assert.equal(entries.find((e) => !(e.details as any).sent)!.actorName, 'nobody-here@university.kz')
  })

  test('a reset link works once, then is refused', async ({ assert }) => {
    const { user } = await staffUser('auditor')
    await User.query().where('id', user.id).update({ locale: 'kk' })
    await askForReset(user.email, 'en')
    await deliverDueMail()
    const { mail } = smtp.received[0]
    /* In the user's own language. */
    assert.equal(mail.subject, 'Прокторинг: жаңа құпиясөз таңдау')
    const path = linkIn(mail.text ?? '')
    const person = new WebClient(baseUrl(), 'en')
    const page = await person.request(path)
    assert.equal(page.status, 200)
    const chosen = await post(person, path, { _csrf: csrfOf(await page.text()), password: 'a brand new pass', confirmation: 'a brand new pass' })
    assert.equal(chosen.status, 302)
    assert.equal(chosen.headers.get('location'), '/login')
    const login = await new WebClient(baseUrl()).login(user.email, 'a brand new pass')
    assert.equal(login.headers.get('location'), '/staff/results')

    const again = await fetch(`${baseUrl()}${path}`, { headers: { accept: 'application/json' } })
    assert.equal(again.status, 403)
    assert.equal((await again.json()).error.code, 'PASSWORD_LINK_USED')
    /* The link is not kept in the outbox once sent. */
    const row = await OutboxMessage.query().where('kind', 'password_reset').firstOrFail()
    assert.equal(row.status, 'sent')
    assert.equal(row.bodyText, '')
  })

  test('a reset link expires after an hour', async ({ assert }) => {
    const { user } = await staffUser('proctor')
    await askForReset(user.email)
    await deliverDueMail()
    const path = linkIn(smtp.received[0].mail.text ?? '')
    const inTime = await fetch(`${baseUrl()}${path}`)
    assert.equal(inTime.status, 200)
    const realNow = Settings.now
    Settings.now = () => Date.now() + 61 * 60 * 1000
    try {
      const late = await fetch(`${baseUrl()}${path}`, { headers: { accept: 'application/json' } })
      assert.equal(late.status, 403)
      assert.equal((await late.json()).error.code, 'PASSWORD_LINK_EXPIRED')
    } finally {
      Settings.now = realNow
    }
  })

  test('asking again and again for one address is throttled like the login, with its code, and sends no more', async ({ assert }) => {
    const { user } = await staffUser('proctor')
    for (let i = 0; i < 3; i++) assert.equal((await askForReset(user.email)).status, 200)
    const fourth = await askForReset(user.email, 'ru')
    assert.equal(fourth.status, 429)
    assert.include(fourth.html, 'data-error-code="PASSWORD_RESET_THROTTLED"')
    assert.include(fourth.html, 'Слишком много запросов на сброс пароля.')
    assert.equal(await OutboxMessage.query().where('toAddress', user.email).count('* as n').first().then((r: any) => Number(r.$extras.n)), 3)
    const blocked = await AuditEntry.query().where({ action: 'auth.throttled', actorName: user.email }).first()
    assert.equal((blocked?.details as any)?.form, 'password_reset')
  })

  test('a malformed address is refused beside the field, and nothing is sent', async ({ assert }) => {
    const { status, html } = await askForReset('not an address')
    assert.equal(status, 422)
    assert.include(html, 'data-field="email"')
    assert.include(html, 'value="not an address"')
    assert.lengthOf(await OutboxMessage.all(), 0)
  })
})
