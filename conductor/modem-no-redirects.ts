// docker-modem (dockerode's HTTP layer) sends every request through its own copy of
// follow-redirects: a 3xx answer from the engine makes it request whatever the Location
// header names — any host and port, over TCP — on a new request nobody listens to for
// errors. That is how an image named "../../127.0.0.1:<port>/path" once made the
// conductor connect to an arbitrary address (the engine cleans the "../" out of
// "/images/<name>/json" and answers 301 to the cleaned path, which the follower read as
// host 127.0.0.1:<port>), and a refused connection there was an uncaught exception that
// killed the process, on every restart. The Docker API never redirects, so the conductor
// turns the follower off: a 3xx reaches the modem's own response handler and becomes an
// ordinary error ("(HTTP code 301) unexpected"), handled like any other.
import { createRequire } from 'node:module'
import nodeHttp from 'node:http'
import nodeHttps from 'node:https'

type RequestFn = (options: unknown, callback?: (res: nodeHttp.IncomingMessage) => void) => nodeHttp.ClientRequest
type ModemHttp = Record<'http' | 'https', { request: RequestFn; get: RequestFn }>

let done = false

/** Makes docker-modem's requests plain node:http ones (no redirects followed). Idempotent. */
export function disableModemRedirects(): void {
  if (done) return
  // The copy of docker-modem that dockerode itself loads.
  const fromDockerode = createRequire(createRequire(import.meta.url).resolve('dockerode'))
  const modemHttp = fromDockerode('docker-modem/lib/http.js') as ModemHttp
  const native = { http: nodeHttp, https: nodeHttps }
  for (const proto of ['http', 'https'] as const) {
    modemHttp[proto].request = ((options: nodeHttp.RequestOptions, cb?: (res: nodeHttp.IncomingMessage) => void) =>
      native[proto].request(options, cb)) as RequestFn
    modemHttp[proto].get = ((options: nodeHttp.RequestOptions, cb?: (res: nodeHttp.IncomingMessage) => void) =>
      native[proto].get(options, cb)) as RequestFn
  }
  done = true
}
