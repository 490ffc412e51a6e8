import type { InferMailers } from '@adonisjs/mail/types'
import { defineConfig, transports } from '@adonisjs/mail'

/*
| @adonisjs/mail (nodemailer). The appliance's SMTP server is not set here: admins set it in the
| panel (/staff/mail), it is read from the database at each send, and app/services/mail/send.ts
| builds a Mailer over an SMTP transport from it. This default mailer only satisfies the
| provider and is never used to send (it points at a closed loopback port).
*/
const mailConfig = defineConfig({
  default: 'unused',
  mailers: {
    unused: transports.smtp({ host: '127.0.0.1', port: 9, secure: false, ignoreTLS: true }),
  },
})

export default mailConfig

declare module '@adonisjs/mail/types' {
  export interface MailersList extends InferMailers<typeof mailConfig> {}
}
