/**
 * The report's processing panel: follows the worker over server-sent events. Once the
 * findings are complete it offers to show them (no reload on its own: a proctor may be
 * watching a recording).
 */
import './player_sync.js'
const panel = document.querySelector<HTMLElement>('[data-progress-url]')
if (panel && panel.dataset.done !== 'true') {
  const bar = panel.querySelector<HTMLProgressElement>('progress')!
  const label = panel.querySelector<HTMLElement>('[data-role="progress-label"]')!
  const texts = JSON.parse(panel.dataset.texts ?? '{}') as Record<string, string>
  const errors = panel.querySelector<HTMLElement>('[data-role="progress-errors"]')!
  /** Each failed job as its translated message and code (never the job's raw output). */
  const showErrors = (list: { code: string; message: string }[]) => {
    errors.replaceChildren(
      ...list.map(({ code, message }) => {
        const line = document.createElement('p')
        line.className = 'muted small'
        line.dataset.errorCode = code
        const codeTag = document.createElement('code')
        codeTag.textContent = code
        line.append(`${message} ${errors.dataset.codeLabel ?? ''}: `, codeTag)
        return line
      })
    )
  }
  const source = new EventSource(panel.dataset.progressUrl!)
  /*
   * While the exam runs, the server pushes whatever of the status badge, the violation log's rows
   * and the score panel changed, as HTML it rendered: swapped in place, so the players keep
   * playing (they bind the log's rows through delegation) and a focused row keeps its place.
   */
  source.addEventListener('live', (event) => {
    const live = JSON.parse((event as MessageEvent).data) as Record<string, string>
    for (const part of ['status', 'score'] as const) {
      const target = document.querySelector<HTMLElement>(`[data-live="${part}"]`)
      if (target && typeof live[part] === 'string') target.innerHTML = live[part]
    }
    const credibility = document.querySelector<HTMLElement>('[data-live-text="credibility"]')
    if (credibility && typeof live.credibility === 'string') credibility.textContent = live.credibility
    const log = document.querySelector<HTMLElement>('[data-live="log"]')
    if (log && typeof live.log === 'string') {
      const focused = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>('[data-violation]')?.dataset.key
      log.innerHTML = live.log
      if (focused) log.querySelector<HTMLElement>(`[data-key="${CSS.escape(focused)}"]`)?.focus({ preventScroll: true })
      document.dispatchEvent(new CustomEvent('report:log-updated'))
    }
  })
  source.addEventListener('progress', (event) => {
    const progress = JSON.parse((event as MessageEvent).data)
    panel.dataset.state = progress.state
    bar.value = progress.percent
    label.textContent = (texts[progress.state] ?? progress.state)
      .replace('{percent}', String(progress.percent))
      .replace('{seconds}', String(progress.analysedSeconds))
    showErrors(progress.errors ?? [])
    if (progress.done) {
      source.close()
      panel.querySelector<HTMLElement>('[data-role="progress-refresh"]')!.hidden = false
    }
  })
}

/*
 * The incident form (proctors and admins): "Now" beside From / To takes the exam time where the
 * players of the attempt last used stand (their clock plus the attempt's offset). A timeline that
 * selects a range may fill the fields ([data-incident-start], [data-incident-end]) itself, or
 * dispatch `report:range-selected` with { start, end } in exam seconds.
 */
const incidentForm = document.querySelector<HTMLFormElement>('[data-testid="incident-form"]')
if (incidentForm) {
  let lastSection: HTMLElement | null = null
  const remember = (event: Event) => {
    const section = (event.target as HTMLElement | null)?.closest?.<HTMLElement>('[data-attempt][data-offset]')
    if (section) lastSection = section
  }
  document.addEventListener('pointerdown', remember, true)
  document.addEventListener('focusin', remember, true)
  const field = (name: 'start' | 'end') => incidentForm.querySelector<HTMLInputElement>(`[data-incident-${name}]`)!
  const examNow = () => {
    const section = lastSection ?? document.querySelector<HTMLElement>('[data-attempt][data-offset]')
    if (!section) return 0
    return (Number(section.dataset.offset) || 0) + (Number(section.dataset.clock) || 0)
  }
  incidentForm.addEventListener('click', (event) => {
    const button = (event.target as HTMLElement).closest<HTMLButtonElement>('[data-incident-now]')
    if (!button) return
    const input = field(button.dataset.incidentNow as 'start' | 'end')
    input.value = String(Math.round(examNow() * 10) / 10)
    input.dispatchEvent(new Event('input', { bubbles: true }))
  })
  document.addEventListener('report:range-selected', (event) => {
    const { start, end } = (event as CustomEvent<{ start: number; end: number }>).detail ?? {}
    if (Number.isFinite(start) && Number.isFinite(end)) {
      field('start').value = String(Math.round(Math.min(start, end) * 10) / 10)
      field('end').value = String(Math.round(Math.max(start, end) * 10) / 10)
    }
  })
}
