// The conductors' agent API on the wire: what the builder asks a host for, and how. One
// route today, the output of one of the host's own containers. conductor/agent-api/ serves
// it, builder/routes/logs.ts calls it, and the builder's own logs route (and dokkaacfg, its
// client) takes the same query. Pure: no I/O.
//
//   GET <agentUrl>/v1/logs/<containerName>?tail=<0-100000>&follow=<0|1>
//   authorization: Bearer <the cluster's agent token, /config/agent-token>
//   200 text/plain; charset=utf-8, cache-control: no-store — stdout and stderr as they came,
//       already demultiplexed (never Docker's 8-byte frame headers); follow=1 keeps it open
//   4xx/5xx application/json {"error": {"code": "DKA_CONDUCTOR_AGENT_*", "message"}}

//   DELETE <agentUrl>/v1/volumes/<app>/<name>/<index>
//   removes the host's Docker volumes of that instance (labels io.dokkaa.app/name/instance/host):
//   204 removed (or none was there), 409 DKA_CONDUCTOR_AGENT_VOLUME_IN_USE (a container uses one)

import { NAME_PATTERN } from './names.js'

const LOGS_PATH = '/v1/logs/'
const VOLUMES_PATH = '/v1/volumes/'

/** The volume removal route, as the agent registers it. */
export const AGENT_VOLUMES_ROUTE = `${VOLUMES_PATH}:app/:name/:index`

/** Its path parameters (JSON Schema): names as the key layout has them. */
export const agentVolumesParams = {
  type: 'object', required: ['app', 'name', 'index'], additionalProperties: false,
  properties: {
    app: { type: 'string', pattern: NAME_PATTERN },
    name: { type: 'string', pattern: NAME_PATTERN },
    index: { type: 'integer', minimum: 0, maximum: 999999 },
  },
} as const

/** The URL that removes an instance's volumes at a host's agent. */
export function agentVolumesUrl(agentUrl: string, ref: { app: string; name: string; index: number }): string {
  return `${agentUrl.replace(/\/$/, '')}${VOLUMES_PATH}${encodeURIComponent(ref.app)}/${encodeURIComponent(ref.name)}/${ref.index}`
}

/** The logs route, as the agent registers it. */
export const AGENT_LOGS_ROUTE = `${LOGS_PATH}:containerName`

/** A container name the agent takes in its path (Docker's rule for names, bounded). */
export const CONTAINER_NAME_PATTERN = '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$'

/** Lines from the end of the output: 0 to 100000, 200 when not given. */
export const LOG_TAIL = { minimum: 0, maximum: 100000, default: 200 } as const

/** How `follow` may be spelled; "1" and "true" keep the stream open. */
export const LOG_FOLLOW = ['0', '1', 'false', 'true'] as const

/** The agent's path parameters (JSON Schema, as fastify validates them). */
export const agentLogsParams = {
  type: 'object', required: ['containerName'],
  properties: { containerName: { type: 'string', pattern: CONTAINER_NAME_PATTERN } },
} as const

/** The logs query (JSON Schema): the agent's, and the builder's logs route's, which passes it on. */
export const logsQuerystring = {
  type: 'object', additionalProperties: false,
  properties: { tail: { type: 'integer', ...LOG_TAIL }, follow: { type: 'string', enum: [...LOG_FOLLOW], default: '0' } },
} as const

/** The logs query as fastify hands it over, validated and with its defaults. */
export interface LogsQueryWire { tail: number; follow: typeof LOG_FOLLOW[number] }

/** What a logs request asks for. */
export interface LogsRequest { tail: number; follow: boolean }

/** Reads a validated logs query. */
export function readLogsQuery(query: LogsQueryWire): LogsRequest {
  return { tail: query.tail, follow: query.follow === '1' || query.follow === 'true' }
}

/** A logs query string (without "?"), as the builder sends it to an agent and dokkaacfg to the builder. */
export function logsQuery(r: LogsRequest): string {
  return `tail=${r.tail}&follow=${r.follow ? 1 : 0}`
}

/** The URL of a container's logs at a host's agent (`agentUrl` of its HostRecord). */
export function agentLogsUrl(agentUrl: string, containerName: string, r: LogsRequest): string {
  return `${agentUrl.replace(/\/$/, '')}${LOGS_PATH}${encodeURIComponent(containerName)}?${logsQuery(r)}`
}

const BEARER = 'Bearer '

/** The authorization header the agent accepts: the agent token as a bearer token. */
export function agentAuthorization(token: string): string {
  return `${BEARER}${token}`
}

/** The token an authorization header presents, or undefined when it is not a bearer header (scheme case-sensitive). */
export function presentedAgentToken(header: string | undefined): string | undefined {
  return header?.startsWith(BEARER) ? header.slice(BEARER.length) : undefined
}

/** The content type of a logs reply (the agent's and the builder's). */
export const LOGS_CONTENT_TYPE = 'text/plain; charset=utf-8'

/** Logs are never cached. */
export const LOGS_CACHE_CONTROL = 'no-store'

/** The agent's errors: code and HTTP status. The builder tells 404 (no such container on that host) from the rest. */
export const AGENT_ERRORS = {
  unauthorized: { code: 'DKA_CONDUCTOR_AGENT_UNAUTHORIZED', statusCode: 401 },
  notFound: { code: 'DKA_CONDUCTOR_AGENT_NOT_FOUND', statusCode: 404 },
  volumeInUse: { code: 'DKA_CONDUCTOR_AGENT_VOLUME_IN_USE', statusCode: 409 },
  /** A request the HTTP layer refused: 400, or its own 4xx status. */
  badRequest: { code: 'DKA_CONDUCTOR_AGENT_BAD_REQUEST', statusCode: 400 },
  docker: { code: 'DKA_CONDUCTOR_AGENT_DOCKER', statusCode: 502 },
} as const

/** The body of an agent error reply. */
export interface AgentErrorBody { error: { code: string; message: string } }
