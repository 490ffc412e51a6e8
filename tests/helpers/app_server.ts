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

/** A process of the appliance (web server or worker) on the test run's data folder. */
class AppProcess {
  protected child?: ChildProcess

  /** The process id (a test may look for its children: the SFU's mediasoup workers). */
  get pid() {
    return this.child?.pid
  }
  output = ''

  constructor(
    readonly port: number,
    readonly extraEnv: Record<string, string> = {}
  ) {}

  protected spawn(args: string[]) {
    this.output = ''
    this.child = spawn(process.execPath, args, {
      cwd: app.makePath(),
      env: {
        ...process.env,
        NODE_ENV: 'production',
        PORT: String(this.port),
        HOST: '127.0.0.1',
        APP_URL: `http://127.0.0.1:${this.port}`,
        SESSION_DRIVER: 'database',
        /* One web process unless a test asks for more (the load test runs one per core). */
        WEB_PROCESSES: '1',
        LOG_LEVEL: 'warn',
        /* No daily digest from the test servers: a run past 07:00 would otherwise put one in the outbox of any test that set up mail. */
        DIGEST_AT: 'off',
        ...this.extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.child.stdout!.on('data', (data) => (this.output += data))
    this.child.stderr!.on('data', (data) => (this.output += data))
    return this.child
  }

  /** SIGKILL: no shutdown hooks, no flushing, as in a power cut of the process. */
  async kill() {
    await this.signal('SIGKILL')
  }

  async stop() {
    await this.signal('SIGTERM')
  }

  private async signal(signal: NodeJS.Signals) {
    const child = this.child
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill(signal)
    await exited
  }
}

/** An analysis worker, as `node ace.js worker:run` runs it on the appliance. */
export class WorkerProcess extends AppProcess {
  static start(extraEnv: Record<string, string> = {}) {
    const worker = new WorkerProcess(0, extraEnv)
    worker.spawn(['ace.js', 'worker:run'])
    return worker
  }
}

/**
 * The real web server in its own process (as in production), so a test can kill it with
 * SIGKILL and start it again on the same port.
 */
export class AppServer extends AppProcess {
  get url() {
    return `http://127.0.0.1:${this.port}`
  }

  static async start(extraEnv: Record<string, string> = {}) {
    const server = new AppServer(await freePort(), extraEnv)
    await server.start()
    return server
  }

  async start() {
    const child = this.spawn(['--import=@poppinss/ts-exec', 'bin/server.ts'])
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`the app exited while starting:\n${this.output}`)
      const ok = await fetch(`${this.url}/health`).then((r) => r.ok).catch(() => false)
      if (ok) return
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    throw new Error(`the app did not answer within 60 s:\n${this.output}`)
  }
}
