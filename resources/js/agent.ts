/**
 * The proctoring agent for the exam's own page (for Moodle: Site administration >
 * Appearance > Additional HTML > "Within HEAD": <script src="https://APPLIANCE/agent.js"></script>).
 * Inside the proctored frame it blocks copy, cut, paste and the context menu, and tells
 * the proctoring page about each attempt. Outside a proctoring frame it does nothing.
 */
;(() => {
  if (window.parent === window) return
  const script = document.currentScript as HTMLScriptElement | null
  const applianceOrigin = script?.src ? new URL(script.src).origin : '*'
  const tell = (type: string) => window.parent.postMessage({ source: 'proctor-agent', type }, applianceOrigin)
  for (const type of ['copy', 'cut', 'paste', 'contextmenu']) {
    document.addEventListener(
      type,
      (event) => {
        event.preventDefault()
        event.stopPropagation()
        tell(type)
      },
      { capture: true }
    )
  }
})()
