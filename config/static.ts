import { defineConfig } from '@adonisjs/static'
import { STATIC_HEADERS } from '#services/security_headers'

/*
 * A path that resolves to a folder (`/s/%2e%2e` is public/) is not answered with a 301 to the
 * folder: it goes on to the routes, which refuse it with their own code. (serve-static's own
 * option, which @adonisjs/static passes through but does not list in its type.)
 */
const folderRedirects = { redirect: false }

/*
 * public/ is served before any router middleware runs (shield's headers never reach it),
 * so its security headers are set here: nosniff on every file, /agent.js included, which
 * the LMS's pages load. Files may be cached (revalidated by ETag).
 */
const staticServerConfig = defineConfig({
  enabled: true,
  etag: true,
  lastModified: true,
  dotFiles: 'ignore',
  ...folderRedirects,
  headers: () => STATIC_HEADERS,
})

export default staticServerConfig
