// The conductor's agent API: what the builder needs from a host without any Docker socket
// on the network: logs of this host's own containers (label io.dokkaa.host), and removal of
// the volumes an instance kept here (volume-removal.ts), behind
// the cluster's agent bearer token (etcd ${prefix}/config/agent-token, created by the builder).
// Given TLS material it serves HTTPS with mutual TLS, to the builder's certificate only (agent-tls.ts).
import { timingSafeEqual } from 'node:crypto'
import { buffer } from 'node:stream/consumers'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Etcd3 } from 'etcd3'
import {
  AGENT_ERRORS, AGENT_LOGS_ROUTE, agentLogsParams, LABELS, LOGS_CACHE_CONTROL, LOGS_CONTENT_TYPE, logsQuerystring, presentedAgentToken,
  readLogsQuery, type AgentErrorBody, type AgentTokenRecord, type KeyLayout, type LogsQueryWire,
} from '../../schemas/index.js'
import { createError, isDokkaaError } from '../../kit/errors.js'
import { kvOf } from '../../kit/kv.js'
import type { DockerEngine } from '../docker-engine.js'
import { ConductorError, isCode } from '../errors.js'
import { readAgentToken as readTokenRecord } from '../etcd-records.js'
import { agentHttpsOptions, requireBuilderCertificate, type AgentTlsMaterial } from './agent-tls.js'
import { registerVolumeRemoval } from './volume-removal.js'

export interface AgentApiOptions {
  engine: Pick<DockerEngine, 'inspect' | 'logs' | 'listVolumes' | 'removeVolume'>
  hostId: string
  listen: { host: string; port: number }
  /** The bearer token callers must present (see readAgentToken). */
  token: string
  /** pino options or false. */
  logger?: boolean | { level: string }
  /** Serve HTTPS, requiring the builder's client certificate; undefined: plain http. */
  tls?: AgentTlsMaterial
}

export interface RunningAgentApi {
  /** Base URL to publish as HostRecord.agentUrl. */
  url: string
  app: FastifyInstance
  close(): Promise<void>
}

/** The agent API's errors, by the contract's codes and statuses (schemas/agent-api.ts; the builder reads only the status). */
const AgentUnauthorizedError = createError(AGENT_ERRORS.unauthorized.code, { statusCode: AGENT_ERRORS.unauthorized.statusCode, message: 'missing or invalid agent token' })
const AgentNotFoundError = createError(AGENT_ERRORS.notFound.code, { statusCode: AGENT_ERRORS.notFound.statusCode })

function same(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

export function buildAgentApi(opts: Omit<AgentApiOptions, 'listen'>): FastifyInstance {
  // An https server is typed apart from an http one; the routes and hooks are the same.
  const app = (opts.tls ? Fastify({ logger: opts.logger ?? false, https: agentHttpsOptions(opts.tls) }) : Fastify({ logger: opts.logger ?? false })) as unknown as FastifyInstance
  app.setErrorHandler(async (err: Error & { statusCode?: number; code?: string }, _req, reply): Promise<AgentErrorBody> => {
    const ours = isDokkaaError(err) && err.statusCode !== undefined
    const status = ours ? err.statusCode! : err.statusCode && err.statusCode < 500 ? err.statusCode : AGENT_ERRORS.docker.statusCode
    reply.code(status)
    // fastify's own 4xx keep their status, under the agent's bad-request code; anything else is Docker's failure.
    return { error: { code: ours ? err.code : status === AGENT_ERRORS.docker.statusCode ? AGENT_ERRORS.docker.code : AGENT_ERRORS.badRequest.code, message: err.message } }
  })
  // Who is calling (the certificate) before what they know (the token).
  if (opts.tls) app.addHook('onRequest', requireBuilderCertificate)
  app.addHook('onRequest', async request => {
    const presented = presentedAgentToken(request.headers.authorization)
    if (presented === undefined || !same(presented, opts.token)) throw new AgentUnauthorizedError()
  })

  app.get(AGENT_LOGS_ROUTE, { schema: { params: agentLogsParams, querystring: logsQuerystring } }, async (request, reply) => {
    const { containerName } = request.params as { containerName: string }
    const { tail, follow } = readLogsQuery(request.query as LogsQueryWire)
    const container = await opts.engine.inspect(containerName)
    // Only this host's Dokkaa containers: never a user's own, never another conductor's.
    if (container?.labels[LABELS.host] !== opts.hostId) throw new AgentNotFoundError(`no container ${containerName}`)
    // A reply closed early stops a followed stream.
    const closed = new AbortController()
    reply.raw.on('close', () => closed.abort())
    let out
    try {
      out = await opts.engine.logs(container.id, { tail, follow }, closed.signal)
    } catch (err) {
      if (isCode(err, 'DKA_CONDUCTOR_DOCKER_NOT_FOUND')) throw new AgentNotFoundError(`no container ${containerName}`)
      throw err
    }
    reply.type(LOGS_CONTENT_TYPE).header('cache-control', LOGS_CACHE_CONTROL)
    // Not following: the whole output as one body, with its length.
    return reply.send(follow ? out : await buffer(out))
  })
  registerVolumeRemoval(app, opts.engine, opts.hostId)
  return app
}

/** Starts the agent API. Pass `url` to HostRecord.agentUrl. */
export async function startAgentApi(opts: AgentApiOptions): Promise<RunningAgentApi> {
  const app = buildAgentApi(opts)
  await app.listen({ host: opts.listen.host, port: opts.listen.port })
  const addr = app.server.address()
  const port = typeof addr === 'object' && addr ? addr.port : opts.listen.port
  const host = opts.listen.host === '0.0.0.0' || opts.listen.host === '::' ? '127.0.0.1' : opts.listen.host
  return {
    url: `${opts.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    app,
    close: async () => { app.server.closeAllConnections?.(); await app.close() },
  }
}

/**
 * Reads the cluster's agent token, waiting for the builder to create it (or creating it,
 * if `create`). A value of the wrong shape (junk written straight into etcd) throws
 * BAD_RECORD: retrying cannot fix it, so the caller runs without the agent API.
 */
export async function readAgentToken(client: Etcd3, keys: KeyLayout, opts: { create?: boolean } = {}): Promise<string> {
  const kv = kvOf(client)
  if (opts.create) {
    const { randomBytes } = await import('node:crypto')
    const rec: AgentTokenRecord = { token: randomBytes(32).toString('base64url'), createdAt: new Date().toISOString() }
    await kv.create(keys.agentToken, JSON.stringify(rec))
  }
  const text = (await kv.get(keys.agentToken))?.value
  if (!text) throw new Error(`no agent token at ${keys.agentToken} yet (the builder creates it on start)`)
  const rec = readTokenRecord(text)
  if (!rec) throw new ConductorError('DKA_CONDUCTOR_BAD_RECORD', `${keys.agentToken} does not hold an agent token record ({"token": "<16-512 printable characters>"}); delete it to have a new one created`)
  return rec.token
}
