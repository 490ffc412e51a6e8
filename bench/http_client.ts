import { connect, type Socket } from 'node:net'

export type Answer = { status: number; body: Buffer }

type Pending = { head: string; body?: Buffer; resolve: (answer: Answer) => void; reject: (error: Error) => void; resent?: boolean }

/**
 * A minimal HTTP/1.1 keep-alive client on one socket, for load generation: requests are
 * written as prepared bytes and answered in order, with no per-request objects beyond a
 * header string. Much lighter than fetch, so the generator leaves the CPU to the server.
 */
export class Connection {
  private socket: Socket
  private queue: Pending[] = []
  private inFlight?: Pending
  private buffer: Buffer = Buffer.alloc(0)
  private closed?: Error

  constructor(private host: string, private port: number) {
    this.socket = this.open()
  }

  private open() {
    const socket = connect({ host: this.host, port: this.port, noDelay: true })
    socket.on('data', (data) => this.onData(data))
    socket.on('error', (error) => this.fail(error))
    socket.on('close', () => this.fail(new Error('connection closed')))
    return socket
  }

  /** Requests answered on the current socket: a server may close a reused one as a request goes out. */
  private served = 0

  /**
   * The socket closed. As a browser does, a request sent on a reused connection that got no
   * answer at all (the server closed it while idle, as the request went out) is sent once
   * more on a new connection; anything else fails.
   */
  private fail(error: Error) {
    const pending = [this.inFlight, ...this.queue].filter(Boolean) as Pending[]
    const resend = this.served > 0 && this.buffer.length === 0
    this.inFlight = undefined
    this.queue = []
    this.buffer = Buffer.alloc(0)
    this.served = 0
    const again = pending.filter((request) => resend && !request.resent)
    for (const request of pending) if (!again.includes(request)) request.reject(error)
    if (again.length === 0) {
      this.closed = error
      return
    }
    for (const request of again) request.resent = true
    this.queue = again
    this.socket.removeAllListeners().on('error', () => undefined)
    this.socket = this.open()
    this.next()
  }

  get pending() {
    return this.queue.length + (this.inFlight ? 1 : 0)
  }

  request(method: string, path: string, headers: Record<string, string>, body?: Buffer) {
    if (this.closed) {
      this.closed = undefined
      this.buffer = Buffer.alloc(0)
      this.socket = this.open()
    }
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.host}:${this.port}\r\ncontent-length: ${body?.length ?? 0}\r\n`
    for (const name in headers) head += `${name}: ${headers[name]}\r\n`
    head += '\r\n'
    return new Promise<Answer>((resolve, reject) => {
      this.queue.push({ head, body, resolve, reject })
      this.next()
    })
  }

  private next() {
    if (this.inFlight || this.queue.length === 0) return
    this.inFlight = this.queue.shift()!
    this.socket.cork()
    this.socket.write(this.inFlight.head)
    if (this.inFlight.body?.length) this.socket.write(this.inFlight.body)
    this.socket.uncork()
  }

  private onData(data: Buffer) {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, data]) : data
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n')
      if (end < 0 || !this.inFlight) return
      const head = this.buffer.subarray(0, end).toString('latin1')
      const status = Number(head.slice(9, 12))
      const length = /\r\ncontent-length: *(\d+)/i.exec(head)
      let body: Buffer
      let rest: Buffer
      if (length) {
        const size = Number(length[1])
        if (this.buffer.length < end + 4 + size) return
        body = this.buffer.subarray(end + 4, end + 4 + size)
        rest = this.buffer.subarray(end + 4 + size)
      } else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
        const last = this.buffer.indexOf('\r\n0\r\n\r\n', end)
        if (last < 0) return
        body = this.buffer.subarray(end + 4, last)
        rest = this.buffer.subarray(last + 7)
      } else {
        body = Buffer.alloc(0)
        rest = this.buffer.subarray(end + 4)
      }
      this.buffer = rest
      const done = this.inFlight
      this.inFlight = undefined
      this.served++
      done.resolve({ status, body })
      this.next()
    }
  }

  close() {
    this.socket.destroy()
  }
}
