import { test } from '@japa/runner'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import Candidate from '#models/candidate'
import { dataDir } from '#config/paths'
import { analysisFinding, endedAfter, loggedIn, studentInExam } from '#tests/helpers/report'
import db from '@adonisjs/lucid/services/db'
import encryption from '@adonisjs/core/services/encryption'
import env from '#start/env'
import AuditEntry from '#models/audit_entry'
import MailSetting from '#models/mail_setting'
import OutboxMessage from '#models/outbox_message'
import { staffUser } from '#tests/helpers/fixtures'
import { WebClient } from '#tests/helpers/http'
import { startSmtpServer } from '#tests/helpers/smtp'
import { deliverDueMail, PASSWORD_PURPOSE } from '#services/mail/outbox'

const baseUrl = () => env.get('APP_URL')
const csrfOf = (html: string) => /name='_csrf' value='([^']+)'/.exec(html)?.[1] ?? ''

async function admin(language = 'en') {
  const { user, password } = await staffUser('admin')
  const client = new WebClient(baseUrl(), language)
  await client.login(user.email, password)
  const page = await (await client.request('/staff/mail')).text()
  return { client, user, csrf: csrfOf(page) }
}

function post(client: WebClient, path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return client.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  })
}

/** The outbox log's rows as the page shows them. */
function outboxRows(html: string) {
  return [...html.matchAll(/<tr data-outbox="(\d+)" data-status="([^"]+)" data-attempts="(\d+)">([\s\S]*?)<\/tr>/g)].map((m) => ({
    id: Number(m[1]),
    status: m[2],
    attempts: Number(m[3]),
    text: m[4].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim(),
  }))
}

/** Clears what earlier tests left: settings and outbox. */
async function fresh() {
  await db.from('outbox').delete()
  await db.from('mail_settings').delete()
}

const settingsFor = (port: number, extra: Record<string, string> = {}) => ({
  host: '127.0.0.1',
  port: String(port),
  tlsMode: 'none',
  username: '',
  password: '',
  fromAddress: 'proctoring@university.kz',
  fromName: 'Прокторинг ҚазҰУ',
  ...extra,
})

/** The outbox's due messages, as if the clock had moved past their next try. */
async function moveClockPastNextTry() {
  await db.from('outbox').whereIn('status', ['queued', 'failed']).update({ next_try_at: Date.now() - 1 })
}

test.group('E-mail settings and the outbox (issue 11, O2)', (group) => {
  group.each.setup(fresh)

  test('an admin saves the SMTP settings and the test e-mail arrives with the right sender and subject; the password is stored encrypted and never shown back', async ({ assert }) => {
    const smtp = await startSmtpServer({ login: { user: 'proctor-mail', pass: 's3cret pass' } })
    try {
      const { client, csrf } = await admin('ru')
      const saved = await post(client, '/staff/mail', { _csrf: csrf, ...settingsFor(smtp.port, { username: 'proctor-mail', password: 's3cret pass' }) })
      assert.equal(saved.status, 302)
      assert.equal(saved.headers.get('location'), '/staff/mail')
      const page = await (await client.request('/staff/mail')).text()
      assert.include(page, 'Настройки почты сохранены.')
      assert.notInclude(page, 's3cret pass')
      assert.include(page, 'Пароль сохранён. Оставьте поле пустым, чтобы не менять его.')
      const row = await MailSetting.findOrFail(1)
      assert.notInclude(row.password ?? '', 's3cret')
      assert.equal(encryption.decrypt(row.password!, PASSWORD_PURPOSE), 's3cret pass')

      const sent = await post(client, '/staff/mail/test', { _csrf: csrfOf(page), to: 'dean@university.kz' })
      assert.equal(sent.status, 302)
      const after = await (await client.request('/staff/mail')).text()
      assert.include(after, 'Сервер принял проверочное письмо для dean@university.kz.')
      assert.lengthOf(smtp.received, 1)
      const { envelope, mail } = smtp.received[0]
      assert.deepEqual(envelope.to, ['dean@university.kz'])
      assert.equal(envelope.from, 'proctoring@university.kz')
      assert.equal(mail.from?.value[0].address, 'proctoring@university.kz')
      assert.equal(mail.from?.value[0].name, 'Прокторинг ҚазҰУ')
      assert.equal(mail.subject, 'Прокторинг: проверочное письмо')
      assert.include(mail.text ?? '', 'настройки почты работают')
      const [logged] = outboxRows(after)
      assert.equal(logged.status, 'sent')
      assert.equal(logged.attempts, 1)
      assert.include(logged.text, 'Отправлено')

      /* Saved again with the password field empty: the password stays. */
      const again = await post(client, '/staff/mail', { _csrf: csrfOf(after), ...settingsFor(smtp.port, { username: 'proctor-mail', fromName: 'Proctoring' }) })
      assert.equal(again.status, 302)
      assert.equal(encryption.decrypt((await MailSetting.findOrFail(1)).password!, PASSWORD_PURPOSE), 's3cret pass')

      const entries = (await AuditEntry.query().where('action', 'mail.settings').orderBy('id')).slice(-2)
      assert.equal((entries[0].details as any).password, 'set')
      assert.notInclude(JSON.stringify(entries.map((e) => e.details)), 's3cret')
      assert.deepEqual((entries[1].details as any).changes, { fromName: { from: 'Прокторинг ҚазҰУ', to: 'Proctoring' } })
      assert.notProperty(entries[1].details as any, 'password')
      const tested = await AuditEntry.query().where('action', 'mail.test').orderBy('id', 'desc').firstOrFail()
      assert.equal((tested.details as any).to, 'dean@university.kz')
      assert.equal((tested.details as any).status, 'sent')
    } finally {
      await smtp.close()
    }
  })

  test('a server that refuses twice gets the message the third time, after pauses that double; the log shows the tries', async ({ assert }) => {
    const smtp = await startSmtpServer({ refuseFirst: 2 })
    try {
      const { client, csrf } = await admin('en')
      await post(client, '/staff/mail', { _csrf: csrf, ...settingsFor(smtp.port) })
      const before = Date.now()
      await post(client, '/staff/mail/test', { _csrf: csrf, to: 'dean@university.kz' })
      let row = await OutboxMessage.query().firstOrFail()
      assert.equal(row.status, 'failed')
      assert.equal(row.attempts, 1)
      assert.match(row.lastError ?? '', /^MAIL_REFUSED: 451/)
      /* The first pause is the base (60 s by default). */
      assert.closeTo(row.nextTryAt! - before, 60_000, 5_000)
      let page = await (await client.request('/staff/mail')).text()
      assert.include(page, 'The test e-mail to dean@university.kz was not sent. The SMTP server refused the message.')
      assert.include(outboxRows(page)[0].text, 'Will retry')
      /* Not due yet: the scheduler's run leaves it. */
      assert.equal(await deliverDueMail(), 0)

      await moveClockPastNextTry()
      const second = Date.now()
      assert.equal(await deliverDueMail(), 1)
      row = await OutboxMessage.query().firstOrFail()
      assert.equal(row.status, 'failed')
      assert.equal(row.attempts, 2)
      /* The second pause is twice the first. */
      assert.closeTo(row.nextTryAt! - second, 120_000, 5_000)
      assert.lengthOf(smtp.received, 0)

      await moveClockPastNextTry()
      assert.equal(await deliverDueMail(), 1)
      row = await OutboxMessage.query().firstOrFail()
      assert.equal(row.status, 'sent')
      assert.equal(row.attempts, 3)
      assert.isNull(row.lastError)
      assert.equal(smtp.refusals, 2)
      assert.lengthOf(smtp.received, 1)
      assert.equal(smtp.received[0].mail.subject, 'Proctoring: test e-mail')
      page = await (await client.request('/staff/mail')).text()
      const [logged] = outboxRows(page)
      assert.equal(logged.status, 'sent')
      assert.include(logged.text, '3 / 6')
    } finally {
      await smtp.close()
    }
  })

  test('wrong settings show a clear translated error in the log, and the message is given up after the last try', async ({ assert }) => {
    const smtp = await startSmtpServer({ login: { user: 'proctor-mail', pass: 'right one' } })
    try {
      const { client, csrf } = await admin('kk')
      await post(client, '/staff/mail', { _csrf: csrf, ...settingsFor(smtp.port, { username: 'proctor-mail', password: 'wrong one' }) })
      await post(client, '/staff/mail/test', { _csrf: csrf, to: 'dean@university.kz' })
      let page = await (await client.request('/staff/mail')).text()
      assert.include(page, 'SMTP сервері пайдаланушы атын немесе құпиясөзді қабылдамады.')
      assert.include(page, 'data-error-code="MAIL_AUTH_FAILED"')
      assert.lengthOf(smtp.received, 0)

      /* A closed port: nobody listens there. */
      await smtp.close()
      await post(client, '/staff/mail', { _csrf: csrf, ...settingsFor(smtp.port) })
      for (let i = 0; i < 5; i++) {
        await moveClockPastNextTry()
        await deliverDueMail()
      }
      const row = await OutboxMessage.query().firstOrFail()
      assert.equal(row.status, 'gave_up')
      assert.equal(row.attempts, 6)
      assert.match(row.lastError ?? '', /^MAIL_CONNECTION_FAILED/)
      page = await (await client.request('/staff/mail')).text()
      const [logged] = outboxRows(page)
      assert.equal(logged.status, 'gave_up')
      assert.include(logged.text, 'Жіберілмеді')
      assert.include(logged.text, 'SMTP серверіне қосылу мүмкін болмады: мекенжайы мен портын тексеріңіз.')
      /* Given up: no further try. */
      await moveClockPastNextTry()
      assert.equal(await deliverDueMail(), 0)
    } finally {
      await smtp.close().catch(() => {})
    }
  })

  test('a TLS mode that does not fit the server is a clear TLS error in the log, and nothing is sent in clear', async ({ assert }) => {
    /* TLS from the first byte to a server that speaks plain SMTP. */
    const plain = await startSmtpServer()
    /* STARTTLS required, and the server's certificate is one nobody signed. */
    const selfSigned = await startSmtpServer({ starttls: true })
    try {
      const { client, csrf } = await admin('ru')
      for (const [server, tlsMode] of [[plain, 'tls'], [selfSigned, 'starttls']] as const) {
        await db.from('outbox').delete()
        await post(client, '/staff/mail', { _csrf: csrf, ...settingsFor(server.port, { tlsMode }) })
        await post(client, '/staff/mail/test', { _csrf: csrf, to: 'dean@university.kz' })
        const row = await OutboxMessage.query().firstOrFail()
        assert.equal(row.status, 'failed', tlsMode)
        assert.match(row.lastError ?? '', /^MAIL_TLS_FAILED/, tlsMode)
        const page = await (await client.request('/staff/mail')).text()
        assert.include(page, 'Не удалось установить шифрованное соединение с SMTP-сервером: проверьте шифрование и порт.')
        assert.lengthOf(server.received, 0)
      }
    } finally {
      await plain.close()
      await selfSigned.close()
    }
  })

  test('bad settings are refused field by field, the form keeps what was typed, and nothing changes', async ({ assert }) => {
    const { client, csrf } = await admin('en')
    const archived = (await AuditEntry.query().where('action', 'mail.settings')).length
    const response = await post(client, '/staff/mail', { _csrf: csrf, host: 'smtp university', port: '70000', tlsMode: 'ssl3', username: '', password: '', fromAddress: 'not-an-address', fromName: 'Dean office' })
    assert.equal(response.status, 422)
    const html = await response.text()
    for (const field of ['host', 'port', 'tlsMode', 'fromAddress']) assert.include(html, `data-field="${field}"`)
    assert.notInclude(html, 'data-field="fromName"')
    assert.include(html, 'value="smtp university"')
    assert.include(html, 'value="Dean office"')
    assert.include(html, 'Enter a port from 1 to 65535.')
    assert.isNull(await MailSetting.find(1))
    assert.lengthOf(await AuditEntry.query().where('action', 'mail.settings'), archived)

    /* The same for a client that asks for JSON: the status and the code. */
    const json = await post(client, '/staff/mail', { _csrf: csrf, host: '', port: '25', tlsMode: 'none', fromAddress: 'a@b.kz' }, { accept: 'application/json' })
    assert.equal(json.status, 422)
    assert.equal((await json.json()).error.code, 'VALIDATION_FAILED')

    /* No settings yet: a test e-mail is refused with its code, and nothing is queued. */
    const test = await post(client, '/staff/mail/test', { _csrf: csrf, to: 'dean@university.kz' }, { accept: 'application/json' })
    assert.equal(test.status, 409)
    assert.equal((await test.json()).error.code, 'MAIL_NOT_CONFIGURED')
    assert.lengthOf(await OutboxMessage.all(), 0)
    /* The page says so, with an empty log. */
    const page = await (await client.request('/staff/mail')).text()
    assert.include(page, 'No SMTP server is set yet: nothing can be sent.')
    assert.include(page, 'Nothing has been sent yet.')
  })

  test('the outbox names every kind of message and status in the viewer\'s language', async ({ assert }) => {
    const kinds = ['test', 'short_report', 'password_reset', 'digest', 'links'] as const
    const statuses = ['queued', 'failed', 'sent', 'gave_up'] as const
    for (const [index, kind] of kinds.entries()) {
      await OutboxMessage.create({
        toAddress: `to${index}@university.kz`, subject: `Subject ${kind}`, kind, language: 'ru', bodyText: '-', attachmentPath: null, attachmentName: null,
        status: statuses[index % statuses.length], attempts: 1, maxAttempts: 6, lastError: index % 4 === 1 ? 'MAIL_TIMEOUT: timed out' : null,
        nextTryAt: Date.now() + 60_000, leasedUntil: null, sentAt: null, createdBy: null,
      })
    }
    for (const language of ['kk', 'ru', 'en']) {
      const { client } = await admin(language)
      const page = await (await client.request('/staff/mail')).text()
      assert.lengthOf(outboxRows(page), kinds.length)
      assert.notMatch(page, /messages\.mail\.|errors\.MAIL/)
    }
  })

  test('proctors and auditors cannot open the e-mail page; admins see it in the menu', async ({ assert }) => {
    for (const role of ['proctor', 'auditor'] as const) {
      const { user, password } = await staffUser(role)
      const client = new WebClient(baseUrl(), 'en')
      await client.login(user.email, password)
      const response = await client.request('/staff/mail', { headers: { accept: 'application/json' } })
      assert.equal(response.status, 403)
      assert.equal((await response.json()).error.code, 'ROLE_FORBIDDEN')
      assert.notInclude(await (await client.request('/staff/results')).text(), 'href="/staff/mail"')
    }
    const { client } = await admin('en')
    assert.include(await (await client.request('/staff/results')).text(), 'href="/staff/mail"')
  })
})

test.group('The short report by e-mail (issue 11, P5)', (group) => {
  group.each.setup(fresh)

  test('the short report arrives at the SMTP server with its PDF attached, in the viewer\'s language, and the send is archived', async ({ assert }) => {
    const smtp = await startSmtpServer()
    try {
      const { client, csrf } = await admin('en')
      await post(client, '/staff/mail', { _csrf: csrf, ...settingsFor(smtp.port) })
      const { session, origin } = await studentInExam({ titleKk: 'Анатомия: аралық бақылау' })
      await Candidate.query().where('id', session.candidateId).update({ fullName: 'Әлібек Қанатұлы', iin: null })
      await analysisFinding(session, origin, 'no_face', 60, 120)
      await endedAfter(session, origin, 600)

      const proctor = await loggedIn('proctor', 'kk')
      const view = await (await proctor.request(`/staff/sessions/${session.publicId}/short-report`)).text()
      assert.include(view, 'Поштамен жіберу')
      assert.include(view, `action="/staff/sessions/${session.publicId}/short-report/email"`)
      const sent = await post(proctor, `/staff/sessions/${session.publicId}/short-report/email`, { _csrf: csrfOf(view), to: 'dean@university.kz' })
      assert.equal(sent.status, 302)
      assert.equal(sent.headers.get('location'), `/staff/sessions/${session.publicId}/short-report#title-email`)
      const after = await (await proctor.request(`/staff/sessions/${session.publicId}/short-report`)).text()
      assert.include(after, 'Қысқа есеп dean@university.kz мекенжайына кезекке қойылды')

      /* Queued; the scheduler's next run sends it. */
      const queued = await OutboxMessage.query().firstOrFail()
      assert.equal(queued.kind, 'short_report')
      assert.equal(queued.language, 'kk')
      assert.isTrue(existsSync(join(dataDir, queued.attachmentPath!)))
      assert.equal(await deliverDueMail(), 1)
      assert.lengthOf(smtp.received, 1)
      const { envelope, mail } = smtp.received[0]
      assert.deepEqual(envelope.to, ['dean@university.kz'])
      assert.equal(mail.subject, 'Қысқа есеп: Әлібек Қанатұлы, Анатомия: аралық бақылау')
      assert.lengthOf(mail.attachments, 1)
      const [pdf] = mail.attachments
      assert.equal(pdf.contentType, 'application/pdf')
      assert.equal(pdf.filename, 'Әлібек-Қанатұлы.pdf')
      assert.equal(pdf.content.subarray(0, 5).toString(), '%PDF-')
      const folder = await mkdtemp(join(tmpdir(), 'mailed-report-'))
      try {
        await writeFile(join(folder, 'r.pdf'), pdf.content)
        const { stdout } = await promisify(execFile)('pdftotext', ['-layout', join(folder, 'r.pdf'), '-'])
        const text = stdout.replace(/[ \t]+/g, ' ')
        assert.include(text, 'Қысқа есеп')
        assert.include(text, 'Әлібек Қанатұлы')
        assert.include(text, 'Анатомия: аралық бақылау')
      } finally {
        await rm(folder, { recursive: true, force: true })
      }
      /* Sent: the file kept for it is gone, the log says so. */
      const done = await OutboxMessage.findOrFail(queued.id)
      assert.equal(done.status, 'sent')
      assert.isFalse(existsSync(join(dataDir, queued.attachmentPath!)))
      const entry = await AuditEntry.query().where({ action: 'report.email', subjectId: session.publicId }).firstOrFail()
      assert.equal((entry.details as any).to, 'dean@university.kz')
      assert.equal(entry.actorRole, 'proctor')
    } finally {
      await smtp.close()
    }
  })

  test('without e-mail settings the print view says so, and a send is refused with MAIL_NOT_CONFIGURED', async ({ assert }) => {
    const { session, origin } = await studentInExam()
    await endedAfter(session, origin, 600)
    const proctor = await loggedIn('proctor', 'en')
    const view = await (await proctor.request(`/staff/sessions/${session.publicId}/short-report`)).text()
    assert.include(view, 'E-mail is not set up yet (an administrator sets it on the E-mail page).')
    assert.notInclude(view, '/short-report/email')
    const response = await post(proctor, `/staff/sessions/${session.publicId}/short-report/email`, { _csrf: csrfOf(view), to: 'dean@university.kz' }, { accept: 'application/json' })
    assert.equal(response.status, 409)
    assert.equal((await response.json()).error.code, 'MAIL_NOT_CONFIGURED')
    assert.lengthOf(await OutboxMessage.all(), 0)
    assert.lengthOf(await AuditEntry.query().where({ action: 'report.email', subjectId: session.publicId }), 0)
  })
})
