import { execFile, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'

export const run = promisify(execFile)

/** CPU seconds (user + system) of this process and of its finished children, from /proc. */
export function cpuSeconds() {
  const own = process.cpuUsage()
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')
  const ticks = 100
  const children = (Number(fields[13]) + Number(fields[14])) / ticks // cutime + cstime
  return (own.user + own.system) / 1e6 + children
}

/** Runs a command and returns the CPU seconds it used (counted as a finished child in /proc). */
export async function cpuOf(command: string, args: string[]) {
  const started = cpuSeconds()
  await new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'ignore' })
    child.once('error', reject)
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}`))))
  })
  return cpuSeconds() - started
}

/** The environment the appliance's processes get in a bench: production mode, loopback, a scratch data folder. */
export function appEnv(port: number, dataDir: string, appKey: string) {
  return {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    APP_URL: `http://127.0.0.1:${port}`,
    APP_KEY: appKey,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
  }
}
