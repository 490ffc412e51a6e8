// Builds the browser code (TypeScript -> one ES module per page) and copies htmx and
// Alpine out of node_modules, so the appliance serves every script itself (no CDN).
import { build } from 'esbuild'
import { copyFile, mkdir } from 'node:fs/promises'

await mkdir('public/vendor', { recursive: true })
await copyFile('node_modules/htmx.org/dist/htmx.min.js', 'public/vendor/htmx.min.js')
await copyFile('node_modules/alpinejs/dist/cdn.min.js', 'public/vendor/alpine.min.js')

await build({
  entryPoints: {
    student: 'resources/js/student/main.ts',
    phone: 'resources/js/student/phone.ts',
    report: 'resources/js/staff/report.ts',
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
