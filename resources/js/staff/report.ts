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
