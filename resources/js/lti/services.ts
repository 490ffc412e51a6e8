/**
 * LTI services pages (no inline script under the CSP):
 * - the deep-linking answer: the form holding the signed JWT goes back to the LMS at once;
 * - dynamic registration done: the platform's page that opened this one (a window or a frame)
 *   is told to close it (LTI Dynamic Registration, org.imsglobal.lti.close).
 */
const form = document.querySelector<HTMLFormElement>('form[data-lti-autosubmit]')
if (form) form.submit()

if (document.querySelector('[data-lti-close]')) {
  const message = { subject: 'org.imsglobal.lti.close' }
  const targets = [window.opener, window.parent !== window ? window.parent : null].filter(Boolean) as Window[]
  for (const target of targets) {
    try {
      target.postMessage(message, '*')
    } catch {
      /* The platform's page is gone: nothing to tell. */
    }
  }
}
