/*
| Scheduled work of the web app (O1), with node-cron. Each job is idempotent, so running
| it on several app hosts at once is harmless.
*/
import cron from 'node-cron'
import app from '@adonisjs/core/services/app'
import logger from '@adonisjs/core/services/logger'
import env from '#start/env'
import { closeAbandonedSessions } from '#actions/sessions/close_abandoned'
import { sweepStaffSessions } from '#actions/auth/sweep_sessions'
import { deliverDueGrades } from '#actions/lti/ags_grades'
import { deliverDueWebhooks } from '#services/webhooks'
import { deliverDueMail } from '#services/mail/outbox'
import { sendDailyDigest } from '#actions/mail/daily_digest'

function every(expression: string, name: string, job: () => Promise<unknown>) {
  /* With several web processes (bin/server.ts), the first one runs the schedule. */
  if ((process.env.WEB_PROCESS_INDEX ?? '0') !== '0') return
  let running = false
  const task = cron.schedule(expression, async () => {
    if (running) return
    running = true
    try {
      await job()
    } catch (error) {
      logger.error({ err: error, job: name }, 'scheduled job failed')
    } finally {
      running = false
    }
  })
  app.terminating(() => void task.stop())
}

/* S9: close sessions whose student did not come back within the exam's reconnect window. */
every(env.get('SWEEP_CRON', '*/10 * * * * *'), 'close_abandoned_sessions', closeAbandonedSessions)

/* Webhooks to other systems that are due (first tries and retries); see app/services/webhooks.ts. */
every('*/2 * * * * *', 'deliver_webhooks', deliverDueWebhooks)

/* E-mail in the outbox that is due (first tries and retries); see app/services/mail/outbox.ts. */
every('*/2 * * * * *', 'deliver_mail', deliverDueMail)

/* The daily digest to admins (O1): asked every minute, sent once a day from DIGEST_AT on (app/actions/mail/daily_digest.ts). */
every('0 * * * * *', 'daily_digest', () => sendDailyDigest())

/* LTI grades back to course gradebooks that are due (first tries and retries); see app/actions/lti/ags_grades.ts. */
every('*/2 * * * * *', 'deliver_lti_grades', deliverDueGrades)

/* Staff sessions past their idle timeout or absolute lifetime (refused already; this frees the rows). */
every('0 */5 * * * *', 'sweep_staff_sessions', sweepStaffSessions)
