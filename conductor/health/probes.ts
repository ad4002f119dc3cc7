// The checks the conductor makes itself, from the host, so they work on images without
// curl or wget: an HTTP GET (2xx and 3xx pass, as in Kubernetes) or a TCP connect. Each
// resolves to undefined (passed) or the reason it failed, and never throws.
import { request } from 'node:http'
import { connect } from 'node:net'

export interface ProbeTarget { host: string; port: number }

export function httpProbe(target: ProbeTarget, path: string, timeoutMs: number): Promise<string | undefined> {
  const what = `GET ${path}`
  return new Promise(resolve => {
    let done = false
    const finish = (reason: string | undefined) => {
      if (done) return
      done = true
      clearTimeout(timer)
      req.destroy()
      resolve(reason)
    }
    // No keep-alive: a check must see a fresh connection, like a new client would.
    const req = request({ host: target.host, port: target.port, path, method: 'GET', agent: false, headers: { connection: 'close', 'user-agent': 'dokkaa-health' } }, res => {
      const status = res.statusCode ?? 0
      res.resume()
      finish(status >= 200 && status < 400 ? undefined : `${what}: ${status}`)
    })
    const timer = setTimeout(() => finish(`${what}: no answer within ${timeoutMs} ms`), timeoutMs)
    req.on('error', err => finish(`${what}: ${short(err)}`))
    req.end()
  })
}

export function tcpProbe(target: ProbeTarget, timeoutMs: number): Promise<string | undefined> {
  return new Promise(resolve => {
    let done = false
    const socket = connect({ host: target.host, port: target.port })
    const finish = (reason: string | undefined) => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve(reason)
    }
    const timer = setTimeout(() => finish(`connect ${target.host}:${target.port}: no answer within ${timeoutMs} ms`), timeoutMs)
    socket.once('connect', () => finish(undefined))
    socket.once('error', err => finish(short(err)))
  })
}

function short(err: Error): string {
  return (err.message || String(err)).slice(0, 200)
}
