/*
| The web app. With WEB_PROCESSES > 1 (default: one per core) this process is a small
| supervisor (node:cluster) that starts that many web processes on the same port, restarts
| one that dies, and passes a stop signal on. They share the SQLite file and the data folder.
| Scheduled work (start/scheduler.ts) runs in the first web process only.
*/
import 'reflect-metadata'
import cluster from 'node:cluster'
import { availableParallelism } from 'node:os'
import { Ignitor, prettyPrintError } from '@adonisjs/core'
import { APP_ROOT, importer } from './importer.js'

const processes = Math.max(1, Number(process.env.WEB_PROCESSES) || availableParallelism())
const STOP_GRACE_MS = 15_000

function serve() {
  new Ignitor(APP_ROOT, { importer })
    .tap((app) => {
      app.booting(async () => void (await import('#start/env')))
      /* A stop (systemd, Ctrl-C, the supervisor) lets requests in flight finish: no chunk is cut. */
      const stop = () => {
        /* Requests still running after this long are cut: a stop must not hang forever. */
        setTimeout(() => process.exit(1), STOP_GRACE_MS).unref()
        void app.terminate()
      }
      app.listen('SIGTERM', stop)
      app.listen('SIGINT', stop)
    })
    .httpServer()
    .start()
    .catch((error) => {
      process.exitCode = 1
      prettyPrintError(error)
    })
}

function supervise() {
  let stopping = false
  const byIndex = new Map<number, ReturnType<typeof cluster.fork>>()
  /* Live video (app/services/live/live.ts): calls go to the process running the SFU (index 0),
     answers back to the caller, messages for the pages' event streams to every process. */
  const relay = (message: any) => {
    if (!message || typeof message !== 'object' || !('live' in message)) return
    if (message.live === 'rpc') byIndex.get(0)?.send(message)
    else if (message.live === 'reply') byIndex.get(Number(message.to))?.send(message)
    else if (message.live === 'push') for (const child of byIndex.values()) if (child.isConnected()) child.send(message)
  }
  const start = (index: number) => {
    const child = cluster.fork({ WEB_PROCESS_INDEX: String(index) })
    byIndex.set(index, child)
    child.on('message', relay)
    child.once('exit', (code, signal) => {
      if (stopping) return
      console.error(`web process ${index} exited (${signal ?? code}); starting it again`)
      setTimeout(() => start(index), 1000)
    })
  }
  for (let index = 0; index < processes; index++) start(index)
  const stop = () => {
    if (stopping) return
    stopping = true
    const children = Object.values(cluster.workers ?? {})
    let left = children.length
    if (left === 0) process.exit(0)
    for (const child of children) {
      child!.once('exit', () => --left === 0 && process.exit(0))
      child!.process.kill('SIGTERM')
    }
    setTimeout(() => {
      for (const child of children) child!.process.kill('SIGKILL')
      process.exit(1)
    }, STOP_GRACE_MS + 2000).unref()
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

if (cluster.isPrimary && processes > 1) supervise()
else serve()
