// How the local provider starts Dokkaa's own processes from this checkout: the
// conductor and ambassador inside each namespace host, the builder on the bridge.
// The argv are pure functions of the cluster's facts, so they are unit-tested; a part
// whose main file does not exist yet is reported as skipped rather than failing `up`.
import { existsSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { agentServerFlags, builderTlsFlags, etcdTlsFlags, schedulerTlsFlags } from './local-tls.js'

export type Part = 'conductor' | 'ambassador' | 'builder'

/** The repository (or installed package) root this dokkaacfg runs from. */
export function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url))
  const up = dirname(here)
  return basename(up) === 'dist' ? dirname(up) : up
}

/** node argv that runs a part: the compiled dist/ file if present, else the TypeScript source through tsx. */
export function nodeEntry(part: Part, root = packageRoot()): string[] | undefined {
  const js = join(root, 'dist', part, 'main.js')
  if (existsSync(js)) return [process.execPath, js]
  const ts = join(root, part, 'main.ts')
  if (existsSync(ts)) return [process.execPath, '--import', 'tsx', ts]
  return undefined
}

export interface ClusterFacts {
  etcd: string[]
  prefix: string
  /** The cluster PKI (local-tls.ts): each part connects to etcd with its own certificate. */
  pkiDir: string
}

export interface AgentHostFacts {
  id: string
  address: string
  /** The docker bridge gateway inside the host's namespace: where its containers find the ambassador. */
  dockerGateway: string
  dockerHost: string
}

export function conductorArgs(c: ClusterFacts, h: AgentHostFacts, leaseTtl = 5): string[] {
  return [
    '--etcd', c.etcd.join(','),
    '--prefix', c.prefix,
    '--host-id', h.id,
    '--host-address', h.address,
    '--docker', h.dockerHost,
    '--labels', `host=${h.id}`,
    '--lease-ttl', String(leaseTtl),
    '--ambassador-address', h.dockerGateway,
    ...etcdTlsFlags(c.pkiDir, `conductor-${h.id.toLowerCase()}`),
    // The agent API: HTTPS with its conductor certificate, only the builder's client certificate let in.
    ...agentServerFlags(c.pkiDir, `conductor-${h.id.toLowerCase()}`),
    // Every lab host may schedule: the lab's etcd is on the bridge, not on a host, so there
    // is no "etcd host" to prefer, and failover tests crash whichever host schedules.
    ...schedulerTlsFlags(c.pkiDir),
  ]
}

export function ambassadorArgs(c: ClusterFacts, h: AgentHostFacts): string[] {
  return [
    '--etcd', c.etcd.join(','),
    '--prefix', c.prefix,
    '--dns-listen', `${h.dockerGateway},127.0.0.1`,
    '--proxy-listen', `${h.dockerGateway},127.0.0.1`,
    '--web-listen', `${h.address}:80`,
    // HTTPS for role web services (certificates from etcd, ordered by the builder over ACME).
    '--web-tls-listen', `${h.address}:443`,
    // No resolver outside the lab is reachable or wanted: names outside the domain are refused.
    '--upstream', 'none',
    ...etcdTlsFlags(c.pkiDir, `ambassador-${h.id.toLowerCase()}`),
  ]
}

export function builderArgs(c: ClusterFacts, listen: string, dataDir: string, clusterKeyFile?: string): string[] {
  return [
    '--etcd', c.etcd.join(','),
    '--prefix', c.prefix,
    '--listen', listen,
    '--data-dir', dataDir,
    '--password-file', builderPasswordFile(dataDir),
    ...(clusterKeyFile ? ['--cluster-key-file', clusterKeyFile] : []),
    ...etcdTlsFlags(c.pkiDir, 'builder'),
    // The console and API over HTTPS with the builder's certificate; the same pair as the agent APIs' client.
    ...builderTlsFlags(c.pkiDir),
  ]
}

/** The gateway of a --bip value: 172.30.3.1/24 -> 172.30.3.1. */
export function bipGateway(bip: string): string {
  return bip.split('/')[0]!
}

export function builderPasswordFile(dataDir: string): string {
  return join(dataDir, 'generated_password.txt')
}
