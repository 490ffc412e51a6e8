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

/*
 * The registration URL inside the LMS's frame: the admins' page opens in a named window (with
 * this page as its opener); when that window says it is done, the LMS (our parent) is told.
 */
const relay = document.querySelector<HTMLElement>('[data-lti-relay]')
if (relay) {
  const opener = relay.querySelector<HTMLAnchorElement>('[data-lti-window]')
  opener?.addEventListener('click', (event) => {
    if (window.open(opener.href, 'lti-registration')) event.preventDefault()
  })
  window.addEventListener('message', (event) => {
    if (event.origin !== window.location.origin || event.data?.subject !== 'org.imsglobal.lti.close') return
    relay.querySelector<HTMLElement>('[data-lti-relay-done]')?.removeAttribute('hidden')
    if (window.parent !== window) window.parent.postMessage({ subject: 'org.imsglobal.lti.close' }, '*')
  })
}
