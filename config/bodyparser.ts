import { defineConfig } from '@adonisjs/core/bodyparser'

/*
| Recording chunks arrive as raw bytes (application/octet-stream) and are streamed
| to disk by the upload action itself, so the body parser leaves them alone.
*/
const bodyParserConfig = defineConfig({
  allowedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
  form: { convertEmptyStringsToNull: true, types: ['application/x-www-form-urlencoded'] },
  json: {
    convertEmptyStringsToNull: true,
    limit: '1mb',
    types: ['application/json', 'application/json-patch+json', 'application/vnd.api+json', 'application/csp-report'],
  },
  multipart: {
    autoProcess: true,
    convertEmptyStringsToNull: true,
    processManually: [],
    limit: '20mb',
    types: ['multipart/form-data'],
  },
  raw: { types: [] },
})

export default bodyParserConfig
