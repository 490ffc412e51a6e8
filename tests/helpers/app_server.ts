import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import app from '@adonisjs/core/services/app'

/** A free TCP port on loopback. */
export async function freePort() {
  return new Promise<number>((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const port = (probe.address() as { port: number }).port
      probe.close(() => resolve(port))
    })
  })
}

/**
 * The real appliance in its own process (as in production), on the test run's data
 * folder, so a test can kill it with SIGKILL and start it again.
 */
export class AppServer {
  private child?: ChildProcess
  output = ''

  constructor(readonly port: number) {}

  get url() {
    return `http://127.0.0.1:${this.port}`
  }

  static async start() {
    const server = new AppServer(await freePort())
    await server.start()
    return server
  }

  async start() {
    this.child = spawn(process.execPath, ['--import=@poppinss/ts-exec', 'bin/server.ts'], {
      cwd: app.makePath(),
      env: {
        ...process.env,
        NODE_ENV: 'production',
        PORT: String(this.port),
        HOST: '127.0.0.1',
        APP_URL: this.url,
        SESSION_DRIVER: 'cookie',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.child.stdout!.on('data', (data) => (this.output += data))
    this.child.stderr!.on('data', (data) => (this.output += data))
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`the app exited while starting:\n${this.output}`)
      const ok = await fetch(`${this.url}/health`).then((r) => r.ok).catch(() => false)
      if (ok) return
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    throw new Error(`the app did not answer within 60 s:\n${this.output}`)
  }

  /** SIGKILL: no shutdown hooks, no flushing, as in a power cut of the process. */
  async kill() {
    const child = this.child
    if (!child || child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }

  async stop() {
    const child = this.child
    if (!child || child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
}
