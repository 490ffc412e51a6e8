import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import { simpleParser, type ParsedMail } from 'mailparser'

export type SmtpOptions = {
  /** Refuse this many messages first (451, "try again later"), then take them. */
  refuseFirst?: number
  /** Require this login (AUTH PLAIN/LOGIN over the plain connection). */
  login?: { user: string; pass: string }
  /** Offer STARTTLS, with smtp-server's own self-signed certificate (one no client trusts). */
  starttls?: boolean
}

/**
 * A real SMTP server on loopback (the `smtp-server` package) for tests: what arrives is parsed
 * with `mailparser`. Plain SMTP (no STARTTLS offered), so the appliance's tls mode is 'none'.
 */
export async function startSmtpServer(options: SmtpOptions = {}) {
  const received: { envelope: { from: string; to: string[] }; mail: ParsedMail }[] = []
  let refusals = 0
  const waiters: (() => void)[] = []
  const server = new SMTPServer({
    logger: false,
    disabledCommands: [...(options.starttls ? [] : ['STARTTLS']), ...(options.login ? [] : ['AUTH'])],
    authOptional: !options.login,
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      if (options.login && auth.username === options.login.user && auth.password === options.login.pass) return callback(null, { user: auth.username })
      return callback(new Error('Invalid username or password'))
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', async () => {
        if (refusals < (options.refuseFirst ?? 0)) {
          refusals++
          const error = new Error('Mailbox busy, try again later') as Error & { responseCode: number }
          error.responseCode = 451
          return callback(error)
        }
        const mail = await simpleParser(Buffer.concat(chunks))
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : ''
        received.push({ envelope: { from, to: session.envelope.rcptTo.map((r) => r.address) }, mail })
        callback()
        waiters.splice(0).forEach((wake) => wake())
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = ((server as any).server.address() as AddressInfo).port
  return {
    port,
    received,
    get refusals() {
      return refusals
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
