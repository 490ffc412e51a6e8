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

/** The print view's button: the browser's print dialog (the page's print CSS leaves only the report). */
Alpine.data('printPage', () => ({
  print() {
    window.print()
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

/**
 * The exam form's preview of what one minute under each event kind costs in credibility:
 * 100 x weight / duration (minutes) points, as compute_credibility.ts scores it.
 */
Alpine.data('examCost', () => ({
  init(this: { $el: HTMLFormElement }) {
    const form = this.$el
    const template = form.dataset.costTemplate ?? '{points}'
    const update = () => {
      const duration = Number(form.querySelector<HTMLInputElement>('[data-cost-duration]')?.value)
      form.querySelectorAll<HTMLInputElement>('[data-cost-weight]').forEach((input) => {
        const out = form.querySelector<HTMLOutputElement>(`[data-cost-for="${input.dataset.costWeight}"]`)
        if (!out) return
        const weight = input.value === '' ? NaN : Number(input.value)
        out.textContent = weight >= 0 && duration > 0 ? template.replace('{points}', ((weight * 100) / duration).toFixed(1)) : '—'
      })
    }
    form.addEventListener('input', update)
    update()
  },
}))

/** A student's sessions in the results grouped by student: the button shows or hides them. */
Alpine.data('studentRows', () => ({
  open: false,
  toggle(this: { $root: HTMLElement; open: boolean }, event: Event) {
    this.open = !this.open
    const button = event.currentTarget as HTMLElement
    button.setAttribute('aria-expanded', String(this.open))
    button.textContent = (this.open ? this.$root.dataset.hide : this.$root.dataset.show) ?? ''
    this.$root.querySelectorAll<HTMLElement>('tr[data-student-session]').forEach((row) => (row.hidden = !this.open))
  },
}))

/* A form sent with HTMX that comes back 422 (a validation error) shows its errors in place, the form kept. */
document.addEventListener('htmx:beforeSwap', (event) => {
  const detail = (event as CustomEvent<{ xhr: XMLHttpRequest; shouldSwap: boolean; isError: boolean; requestConfig?: { verb?: string } }>).detail
  if (detail.xhr.status === 422 && detail.requestConfig?.verb === 'post') {
    detail.shouldSwap = true
    detail.isError = false
  }
})

Alpine.start()
