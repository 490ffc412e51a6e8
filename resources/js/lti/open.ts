/**
 * The page after an LTI launch. Opened top-level (Moodle's launch container "New window"),
 * it goes on at once to the student flow or the staff results. Inside the LMS's frame it
 * stays: the camera page could not share the screen there, so the student opens a new
 * window with the button (a user gesture, which pop-up blockers let through).
 */
const link = document.querySelector<HTMLAnchorElement>('[data-lti-continue]')
let framed = true
try {
  framed = window.top !== window.self
} catch {
  framed = true
}
if (link) {
  if (!framed) {
    window.location.replace(link.href)
  } else {
    document.querySelector<HTMLElement>('.lti-framed-note')?.removeAttribute('hidden')
    link.focus()
  }
}
