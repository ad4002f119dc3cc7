// Forwarding of names outside the domain to the upstream resolver, over UDP. Each
// query gets its own ephemeral socket, so the source port is random (RFC 5452) and a
// late answer for one query can never be taken for another's.
import { createSocket } from 'node:dgram'
import { isIP } from 'node:net'
import type { Endpoint } from './listen-address.js'

export interface Forwarder {
  /** The upstream's raw answer, or undefined when it did not answer in time (→ SERVFAIL). */
  forward(query: Buffer): Promise<Buffer | undefined>
}

export function udpForwarder(upstream: Endpoint, timeoutMs: number): Forwarder {
  return {
    forward(query) {
      return new Promise((resolve) => {
        const socket = createSocket(isIP(upstream.address) === 6 ? 'udp6' : 'udp4')
        const id = query.readUInt16BE(0)
        let done = false
        const finish = (answer: Buffer | undefined): void => {
          if (done) return
          done = true
          clearTimeout(timer)
          socket.close()
          resolve(answer)
        }
        const timer = setTimeout(() => finish(undefined), timeoutMs)
        socket.on('error', () => finish(undefined))
        socket.on('message', (msg, rinfo) => {
          // Only the upstream's answer to this very query counts.
          if (rinfo.address !== upstream.address || rinfo.port !== upstream.port) return
          if (msg.length < 12 || msg.readUInt16BE(0) !== id) return
          finish(msg)
        })
        socket.send(query, upstream.port, upstream.address, (err) => { if (err) finish(undefined) })
      })
    },
  }
}
