/*
| Edge re-reads the components folders from disk each time a page renderer is made, even
| with its cache on (its component plugin keeps the "recurring" flag it got before the cache
| was configured). With cached templates the components cannot change while the app runs,
| so the list is read once.
*/
import edge from 'edge.js'
import app from '@adonisjs/core/services/app'

if (app.inProduction) {
  const listComponents = edge.loader.listComponents.bind(edge.loader)
  let components: ReturnType<typeof listComponents> | undefined
  edge.loader.listComponents = () => (components ??= listComponents())
}
