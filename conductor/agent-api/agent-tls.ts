// The agent API over HTTPS with mutual TLS (issue 12, docs/security.md). An agent API
// serves logs and deletes volumes for whoever holds the agent token; over plain http that
// token crosses the network readable, and any process of any host that read it from etcd
// could use it. With --agent-tls-cert, --agent-tls-key and --agent-client-ca the TLS layer
// refuses a client without a certificate of the cluster CA, and the API accepts only the
// builder's (CN "builder"): a conductor's certificate of the same CA gets a 403. The token
// stays as a second factor.
import type { TLSSocket } from 'node:tls'
import type { FastifyRequest } from 'fastify'
import { createError } from '../../kit/errors.js'
import { nodeFiles, readCertAndKey, readPem, type TlsFileAccess } from '../../kit/etcd-tls.js'
import { FlagError } from '../../kit/flags.js'
import { allOrNone } from '../../kit/tls-flags.js'

/** The one client identity the agent API serves (docs/security.md, "Identities"). */
export const AGENT_CLIENT_CN = 'builder'

export const AGENT_TLS_FLAGS = { cert: '--agent-tls-cert', key: '--agent-tls-key', clientCa: '--agent-client-ca' } as const

/** Paths, checked to come together. */
export interface AgentTlsFiles { cert: string; key: string; clientCa: string }

/** The files' PEM contents, read at start. */
export interface AgentTlsMaterial { cert: Buffer; key: Buffer; clientCa: Buffer }

export interface AgentTlsFlags { agentTlsCert?: string; agentTlsKey?: string; agentClientCa?: string }

/** All three flags or none; with none of the agent API (--agent-listen none), none. */
export function parseAgentTls(raw: AgentTlsFlags, served: boolean): AgentTlsFiles | undefined {
  const files = allOrNone({ cert: raw.agentTlsCert, key: raw.agentTlsKey, clientCa: raw.agentClientCa }, AGENT_TLS_FLAGS, 'the agent API over HTTPS with mutual TLS')
  if (files && !served) throw new FlagError(AGENT_TLS_FLAGS.cert, 'the agent API is off (--agent-listen none): drop the --agent-tls-* and --agent-client-ca flags, or give --agent-listen')
  return files
}

/** Reads the three files; a missing or non-PEM one, or a key others may read, is a FlagError naming its flag. */
export function readAgentTls(files: AgentTlsFiles, access: TlsFileAccess = nodeFiles): AgentTlsMaterial {
  const { cert, key } = readCertAndKey(access, AGENT_TLS_FLAGS, files, 'the agent API\'s server')
  return { cert, key, clientCa: readPem(access, AGENT_TLS_FLAGS.clientCa, files.clientCa, 'the CA of the agent API\'s clients') }
}

/** fastify's https options: a client certificate of that CA is required at the TLS layer. */
export function agentHttpsOptions(tls: AgentTlsMaterial) {
  return { cert: tls.cert, key: tls.key, ca: tls.clientCa, requestCert: true, rejectUnauthorized: true }
}

export const AgentForbiddenError = createError('DKA_CONDUCTOR_AGENT_FORBIDDEN', { statusCode: 403 })

/**
 * onRequest hook of a TLS agent API: the TLS layer has checked the CA; here only the
 * builder's identity passes (a conductor's certificate of the same CA is not the builder).
 */
export async function requireBuilderCertificate(request: FastifyRequest): Promise<void> {
  const cn = (request.raw.socket as TLSSocket).getPeerCertificate?.()?.subject?.CN
  const name = Array.isArray(cn) ? cn.join(',') : cn
  if (name !== AGENT_CLIENT_CN) {
    throw new AgentForbiddenError(`the client certificate's CN is ${name === undefined ? 'missing' : `"${name}"`}: only CN "${AGENT_CLIENT_CN}" (the builder) may call the agent API`)
  }
}
