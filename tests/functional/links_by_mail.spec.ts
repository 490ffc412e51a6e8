import { test } from '@japa/runner'
import env from '#start/env'
import Group from '#models/group'
import Candidate from '#models/candidate'
import IssuedLink from '#models/issued_link'
import AuditEntry from '#models/audit_entry'
import { examWithCandidate, staffUser } from '#tests/helpers/fixtures'
import { WebClient } from '#tests/helpers/http'
import { startSmtpServer } from '#tests/helpers/smtp'
import { saveMailSettings } from '#actions/mail/mail_settings'
import { deliverDueMail } from '#services/mail/outbox'
import { SYSTEM_ACTOR } from '#actions/audit/record_action'
import { issuedLinkUrl } from '#actions/links/link_url'

async function admin() {
  const { user, password } = await staffUser('admin')
  const client = new WebClient(env.get('APP_URL'), 'ru')
  await client.login(user.email, password)
  const page = await (await client.request('/staff/results')).text()
  return { client, user, csrf: /name='_csrf' value='([^']+)'/.exec(page)?.[1] ?? '' }
}

const post = (client: WebClient, path: string, fields: [string, string][]) =>
  client.request(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() })

test.group('Links by e-mail (issue 11)', () => {
  test('the links of an exam go to each candidate\'s address, each their own, and the list shows what happened to each', async ({ assert, cleanup }) => {
    const smtp = await startSmtpServer()
    cleanup(() => smtp.close())
    await saveMailSettings(SYSTEM_ACTOR, { host: '127.0.0.1', port: smtp.port, tlsMode: 'none', fromAddress: 'proctor@university.kz' })
    const { exam } = await examWithCandidate({ title: 'Анатомия', titleKk: 'Анатомия (kk)' })
    const group = await Group.create({ name: `ПМ-${Date.now() % 100000}` })
    const people = [
      await Candidate.create({ fullName: 'Әлібек Қанатұлы', groupId: group.id, email: 'alibek@student.kz', externalId: `m-${group.id}-1` }),
      await Candidate.create({ fullName: 'Борисова Вера', groupId: group.id, email: 'vera@student.kz', externalId: `m-${group.id}-2` }),
      await Candidate.create({ fullName: 'Жанова Гүлім', groupId: group.id, externalId: `m-${group.id}-3` }),
    ]
    const { client, csrf } = await admin()
    const issued = await post(client, '/staff/links', [['_csrf', csrf], ['examIds[]', String(exam.id)], ['groupId', String(group.id)], ['hours', '48']])
    assert.equal(issued.status, 302)

    const sent = await post(client, '/staff/links/email', [['_csrf', csrf], ['exam', String(exam.id)]])
    assert.equal(sent.status, 302)
    assert.equal(sent.headers.get('location'), `/staff/links?exam=${exam.id}`)
    const page = await (await client.request(`/staff/links?exam=${exam.id}`)).text()
    assert.include(page, 'Писем в очереди: 2. Без адреса: 1.')
    await deliverDueMail({ retryBaseMs: 10 })
    assert.lengthOf(smtp.received, 2)
    const links = await IssuedLink.query().where('examId', exam.id).preload('candidate')
    for (const person of people.slice(0, 2)) {
      const mail = smtp.received.find((m) => m.envelope.to[0] === person.email)!
      assert.exists(mail, person.email!)
      const own = links.find((link) => link.candidateId === person.id)!
      /* Their own link, and nobody else's. */
      const urls = [...(mail.mail.text ?? '').matchAll(/https?:\/\/\S+/g)].map((m) => m[0])
      /* (Once in each language.) */
      assert.deepEqual([...new Set(urls)], [issuedLinkUrl(own)])
      assert.include(mail.mail.text ?? '', person.fullName)
      assert.include(mail.mail.subject ?? '', 'Анатомия (kk)')
      assert.include(mail.mail.text ?? '', 'Ссылка только для вас')
    }
    const after = await (await client.request(`/staff/links?exam=${exam.id}`)).text()
    const states = [...after.matchAll(/<td data-mail="([a-z_]+)">/g)].map((m) => m[1]).sort()
    assert.deepEqual(states, ['no_address', 'sent', 'sent'])

    /* Sent again: nobody gets it twice. */
    await post(client, '/staff/links/email', [['_csrf', csrf], ['exam', String(exam.id)]])
    const again = await (await client.request(`/staff/links?exam=${exam.id}`)).text()
    assert.include(again, 'Писем в очереди: 0. Без адреса: 1. Отправлены раньше: 2.')
    await deliverDueMail({ retryBaseMs: 10 })
    assert.lengthOf(smtp.received, 2)
    const entry = await AuditEntry.query().where('action', 'link.email').orderBy('id', 'desc').firstOrFail()
    assert.equal((entry.details as any).alreadySent, 2)
  })
})
