import { defineConfig } from '@adonisjs/static'
import { STATIC_HEADERS } from '#services/security_headers'

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
  headers: () => STATIC_HEADERS,
})

export default staticServerConfig
