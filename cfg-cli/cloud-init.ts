// Renders deploy/cloud-init.yaml.tmpl into one droplet's user-data: {{name}} gets a
// value, {{file:NAME}} the deploy/ file indented as a YAML block. Pure given the texts.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot } from './local-agents.js'
import { UsageError } from './errors.js'

export interface CloudInitVars {
  etcd: string
  prefix: string
  host_id: string
  /** At boot, __PRIVATE_IP__ is replaced by the droplet's private address. */
  host_address: string
  labels: string
  lease_ttl: string
  dns_upstream: string
  node_url: string
  dokkaa_package: string
  /** Shell run to start etcd on this host (or `true`). */
  etcd_enable: string
  builder_enable: string
  /** The cluster key file's text (base64 of 32 bytes): the same on every droplet. */
  cluster_key: string
}

export const DEFAULT_NODE_URL = 'https://nodejs.org/dist/v20.19.4/node-v20.19.4-linux-x64.tar.xz'

export function renderTemplate(tmpl: string, vars: Record<string, string>, file: (name: string) => string): string {
  const out = tmpl
    .replace(/^\{\{file:([\w.-]+)\}\}$/gm, (_, name: string) => file(name).trimEnd().split('\n').map(l => `      ${l}`).join('\n'))
    .replace(/\{\{(\w+)\}\}/g, (m, k: string) => {
      const v = vars[k]
      if (v === undefined) throw new UsageError(`cloud-init template needs a value for {{${k}}}`)
      if (/[\n']/.test(v)) throw new UsageError(`cloud-init value for ${k} may not contain newlines or quotes`)
      return v
    })
  return out
}

export function renderCloudInit(vars: CloudInitVars, deployDir = join(packageRoot(), 'deploy')): string {
  const tmpl = readFileSync(join(deployDir, 'cloud-init.yaml.tmpl'), 'utf8')
  return renderTemplate(tmpl, vars as unknown as Record<string, string>, n => readFileSync(join(deployDir, n), 'utf8'))
}
