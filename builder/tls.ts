// The builder's TLS files, read once at start (start.ts): its HTTPS certificate and key
// (--tls-cert/--tls-key), and what it needs as the client of the conductors' agent APIs
// (--agent-ca, --agent-cert/--agent-key). A missing or non-PEM file, or a key others may
// read, is a FlagError naming the flag (exit 2), by kit/etcd-tls.ts's rules.
import { nodeFiles, readCertAndKey, readPem, type TlsFileAccess } from '../kit/etcd-tls.js'
import type { TlsClientMaterial } from '../kit/tls-fetch.js'
import { AGENT_CLIENT_FLAGS, SERVER_TLS_FLAGS, type BuilderConfig } from './config.js'

export interface BuilderTls {
  /** fastify's `https` option; undefined: plain http. */
  https?: { cert: Buffer; key: Buffer }
  /** For https:// agent URLs; undefined: those are refused, naming --agent-ca. */
  agent?: TlsClientMaterial
}

export function readBuilderTls(config: Pick<BuilderConfig, 'tls' | 'agentTls'>, files: TlsFileAccess = nodeFiles): BuilderTls {
  const https = config.tls && readCertAndKey(files, SERVER_TLS_FLAGS, config.tls, 'the builder\'s HTTPS')
  const agent = config.agentTls && {
    ca: readPem(files, AGENT_CLIENT_FLAGS.ca, config.agentTls.ca, 'the CA of the conductors\' agent certificates'),
    client: readCertAndKey(files, AGENT_CLIENT_FLAGS, config.agentTls, 'the builder\'s agent client'),
  }
  return { ...(https ? { https } : {}), ...(agent ? { agent } : {}) }
}
