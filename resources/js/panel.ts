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

Alpine.start()
