/**
 * Alpine for the server-rendered pages, in its CSP build: it never evaluates text as code,
 * so the page's Content-Security-Policy needs no 'unsafe-eval'. Attributes name only a
 * component registered here and its properties or methods (x-data="selectOnClick",
 * x-on:click="select"); any logic lives in this file.
 */
import Alpine from '@alpinejs/csp'

/** A read-only field holding something to copy (an issued link): a click selects all of it. */
Alpine.data('selectOnClick', () => ({
  select(this: { $el: HTMLInputElement }) {
    this.$el.select()
  },
}))

/** A button that copies the link in its data-url (falls back to a prompt to copy by hand). */
Alpine.data('linkCopy', () => ({
  copied: false,
  get idle() {
    return !this.copied
  },
  async copy(this: { $el: HTMLElement; copied: boolean }) {
    const url = this.$el.dataset.url ?? ''
    try {
      await navigator.clipboard.writeText(url)
    } catch {
      window.prompt('', url)
    }
    this.copied = true
    setTimeout(() => (this.copied = false), 2000)
  },
}))

/** A form that asks first (its data-confirm text): revoking a link, granting a retake. */
Alpine.data('linkConfirm', () => ({
  ask(this: { $el: HTMLElement }, event: Event) {
    if (!window.confirm(this.$el.dataset.confirm ?? '')) event.preventDefault()
  },
}))

Alpine.start()
