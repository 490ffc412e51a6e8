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

/*
| Edge compiles every `@include`d partial again on each render, even with its cache on: a partial
| is compiled with the names of the variables in scope where it is included (`compilePartial`
| passes them, an empty list included), and such a compile is never cached. A results page with
| its rows or a report with its log compiled its partials (acorn parse and all) on every request
| (bench/results, CPU profile). With cached templates the compiled partial depends only on the
| file and those names, so it is kept per compiler (the sync and async ones differ).
*/
if (app.inProduction) {
  type Compile = (templatePath: string, localVariables?: string[]) => unknown
  const prototype = Object.getPrototypeOf(edge.compiler) as { compile: Compile }
  const compile = prototype.compile
  const partials = new WeakMap<object, Map<string, unknown>>()
  prototype.compile = function (this: { cacheManager?: { enabled?: boolean } }, templatePath, localVariables) {
    if (!localVariables || !this.cacheManager?.enabled) return compile.call(this, templatePath, localVariables)
    let known = partials.get(this)
    if (!known) partials.set(this, (known = new Map()))
    const key = `${templatePath}\u0000${localVariables.join(',')}`
    let compiled = known.get(key)
    if (compiled === undefined) {
      compiled = compile.call(this, templatePath, localVariables)
      known.set(key, compiled)
    }
    return compiled
  }
}
