// Builds the browser code (TypeScript -> one ES module per page) and copies htmx out of
// node_modules, so the appliance serves every script itself (no CDN). Alpine comes in its
// CSP build (@alpinejs/csp, no eval), bundled into build/panel.js with its components.
import { build } from 'esbuild'
import { copyFile, mkdir, rm } from 'node:fs/promises'

await mkdir('public/vendor', { recursive: true })
await copyFile('node_modules/htmx.org/dist/htmx.min.js', 'public/vendor/htmx.min.js')
/* The standard Alpine build (it needs 'unsafe-eval') is no longer served. */
await rm('public/vendor/alpine.min.js', { force: true })

await build({
  entryPoints: {
    student: 'resources/js/student/main.ts',
    phone: 'resources/js/student/phone.ts',
    report: 'resources/js/staff/report.ts',
    live: 'resources/js/staff/live.ts',
    lti_open: 'resources/js/lti/open.ts',
    lti_services: 'resources/js/lti/services.ts',
    panel: 'resources/js/panel.ts',
  },
  outdir: 'public/build',
  bundle: true,
  format: 'esm',
  target: ['chrome110', 'firefox115', 'safari16'],
  sourcemap: true,
  minify: true,
  logLevel: 'warning',
})
// The agent is included by the LMS's own pages: a classic script, served at /agent.js.
await build({
  entryPoints: ['resources/js/agent.ts'],
  outfile: 'public/agent.js',
  bundle: true,
  format: 'iife',
  target: ['chrome100', 'firefox100', 'safari15'],
  minify: true,
  logLevel: 'warning',
})
console.log('assets built: public/build, public/vendor')
