import { defineConfig } from '@adonisjs/static'

const staticServerConfig = defineConfig({ enabled: true, etag: true, lastModified: true, dotFiles: 'ignore' })

export default staticServerConfig
