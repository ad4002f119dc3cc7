// A loopback TCP proxy a test can cut: a client given its address loses every connection at
// once (as when the network between a host and etcd fails), cannot connect while cut, and
// connects again once restored. Used to cut a process's etcd watches while the test writes
// to and compacts etcd directly.
import { createServer, connect, type Socket } from 'node:net'

export interface TcpProxy {
  /** "http://127.0.0.1:<port>": hand it to the client under test. */
  readonly url: string
  /** Drops every open connection; new ones are closed as soon as they arrive. */
  cut(): void
  restore(): void
  close(): Promise<void>
}

/** Proxies a free loopback port to `target` ("http://host:port"). */
export async function startTcpProxy(target: string, opts: { bytesPerSecond?: number } = {}): Promise<TcpProxy> {
  const { hostname, port } = new URL(target)
  const open = new Set<Socket>()
  let cut = false
  const server = createServer(client => {
    if (cut) { client.destroy(); return }
    const upstream = connect(Number(port), hostname)
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      open.add(a)
      a.on('error', () => b.destroy())
      a.on('close', () => { open.delete(a); b.destroy() })
      if (a === upstream && opts.bytesPerSecond) throttle(a, b, opts.bytesPerSecond)
      else a.pipe(b)
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port: own } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${own}`,
    cut() {
      cut = true
      for (const s of open) s.destroy()
    },
    restore() {
      cut = false
    },
    close() {
      cut = true
      for (const s of open) s.destroy()
      return new Promise(resolve => server.close(() => resolve()))
    },
  }
}

/** Passes `from`'s data on to `to` at about `rate` bytes a second, in slices of a tenth of it. */
function throttle(from: Socket, to: Socket, rate: number): void {
  const slice = Math.max(1, Math.floor(rate / 10))
  from.on('data', (chunk: Buffer) => {
    from.pause()
    let at = 0
    const next = () => {
      if (to.destroyed) return
      to.write(chunk.subarray(at, at + slice))
      at += slice
      if (at < chunk.length) setTimeout(next, 100)
      else setTimeout(() => from.resume(), 100)
    }
    next()
  })
  from.on('end', () => to.end())
}
