import { defineConfig } from '@adonisjs/core/bodyparser'

/*
| Recording chunks arrive as raw bytes (application/octet-stream) and are streamed
| to disk by the upload action itself, so the body parser leaves them alone.
| JSON and form bodies are small (an event's details are at most 2 kB): anything larger is
| refused with BODY_TOO_LARGE before it is read. Multipart is never auto-processed (that would
| write every uploaded file to the temp folder, for anyone): the one upload, the candidate import,
| reads its body itself after the login and role checks, keeping at most 5 MB in memory
| (app/controllers/staff/candidate_imports_controller.ts).
*/
const bodyParserConfig = defineConfig({
  allowedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
  form: { convertEmptyStringsToNull: true, limit: '64kb', types: ['application/x-www-form-urlencoded'] },
  json: {
    convertEmptyStringsToNull: true,
    limit: '64kb',
    types: ['application/json', 'application/json-patch+json', 'application/vnd.api+json', 'application/csp-report'],
  },
  multipart: {
    autoProcess: false,
    convertEmptyStringsToNull: true,
    processManually: [],
    limit: '20mb',
    types: ['multipart/form-data'],
  },
  raw: { types: [] },
})

export default bodyParserConfig
