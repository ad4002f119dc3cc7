// docker-compose.yml -> Dokkaa manifests, as a pure function. Most people already have
// a Compose file; this carries over what has a Dokkaa meaning (image, ports as
// services, environment, command, entrypoint, depends_on/links as links, replicas,
// restart, limits, hostname, dns, extra hosts, labels, a few create options) and says
// plainly what it dropped and why (volumes, build, published host ports…).
import { parse as parseYaml } from 'yaml'
import { validateManifest, type Manifest, type ManifestError, type ServiceSpec } from '../schemas/index.js'
import { UsageError } from './errors.js'

export interface ImportedManifest { app: string; name: string; manifest: Manifest }
export interface ImportResult {
  app: string
  manifests: ImportedManifest[]
  /** What was not carried over, one sentence each, naming the service and field. */
  warnings: string[]
  /** Manifests that would not validate, with the schema's errors. */
  errors: { name: string; errors: ManifestError[] }[]
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Lowercase DNS label from any Compose name: my_Service.1 -> my-service-1. */
export function dnsName(s: string): string {
  // Runs of "-" collapse to one: app and manifest names may not hold "--" (schemas/names.ts).
  const n = s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-{2,}/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '')
  return n || 'x'
}

/** "KEY=v" lists and maps both become a map; a key without a value (taken from the shell in Compose) is reported. */
function keyValues(v: unknown, sep: string, where: string, warn: (m: string) => void): Record<string, string> {
  const out: Record<string, string> = {}
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = String(item)
      const i = s.indexOf(sep)
      if (i < 0) warn(`${where}: "${s}" has no value (Compose would take it from your shell); skipped`)
      else out[s.slice(0, i)] = s.slice(i + 1)
    }
  } else if (isObj(v)) {
    for (const [k, val] of Object.entries(v)) {
      if (val === null || val === undefined) warn(`${where}: "${k}" has no value (Compose would take it from your shell); skipped`)
      else out[k] = String(val)
    }
  }
  return out
}

export interface ParsedPort { target: number; published?: string; protocol: 'tcp' | 'udp' }

/** Compose short and long port syntax: "80", "8080:80", "127.0.0.1:8080:80/udp", "3000-3001", {target, published, protocol}. */
export function parsePorts(v: unknown): { ports: ParsedPort[]; bad: string[] } {
  const ports: ParsedPort[] = []
  const bad: string[] = []
  for (const p of Array.isArray(v) ? v : []) {
    if (isObj(p)) {
      const target = Number(p['target'])
      if (!Number.isInteger(target)) { bad.push(JSON.stringify(p)); continue }
      ports.push({ target, published: p['published'] === undefined ? undefined : String(p['published']), protocol: p['protocol'] === 'udp' ? 'udp' : 'tcp' })
      continue
    }
    const [spec = '', proto] = String(p).split('/')
    const parts = spec.split(':')
    const range = parts[parts.length - 1]!.match(/^(\d+)(?:-(\d+))?$/)
    if (!range || (proto !== undefined && proto !== 'tcp' && proto !== 'udp')) { bad.push(String(p)); continue }
    const published = parts.length >= 2 ? parts[parts.length - 2] || undefined : undefined
    const from = Number(range[1])
    const to = range[2] ? Number(range[2]) : from
    for (let port = from; port <= to; port++) ports.push({ target: port, published, protocol: proto === 'udp' ? 'udp' : 'tcp' })
  }
  return { ports, bad }
}

/** Compose memory (512m, 1gb, 1.5GB, 1048576) -> Dokkaa's (512m, 1g). */
export function composeMemory(v: unknown): string | undefined {
  const m = String(v).trim().match(/^(\d+(?:\.\d+)?)\s*([bkmg])?b?$/i)
  return m ? `${m[1]}${(m[2] ?? '').toLowerCase()}` : undefined
}

const RESTART: Record<string, Manifest['restart']> = { always: 'always', 'unless-stopped': 'always', 'on-failure': 'on-failure', no: 'never' }

/** Fields we know and deliberately drop, with the reason a user sees. */
const DROPPED: Record<string, string> = {
  build: 'Dokkaa runs images; build and push it first (e.g. to the cluster registry)',
  volumes: 'host mounts are not allowed by Dokkaa',
  privileged: 'privileged containers are not allowed',
  cap_add: 'adding capabilities is not allowed',
  devices: 'host devices are not allowed',
  pid: 'sharing the host PID namespace is not allowed',
  ipc: 'sharing the host IPC namespace is not allowed',
  security_opt: 'changing security options is not allowed',
  networks: 'Dokkaa links services through its ambassadors instead of user networks',
  container_name: 'Dokkaa names containers <app>---<name>[---<i>]',
  env_file: 'read the file into `environment` instead; files on this machine are not on the hosts',
  healthcheck: 'not supported yet',
  secrets: 'not supported', configs: 'not supported', profiles: 'all services are imported',
  expose: 'every port in `ports` becomes a service; `expose` alone is not needed',
}

export function importCompose(text: string, opts: { app?: string; fileName?: string } = {}): ImportResult {
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (e) {
    throw new UsageError(`${opts.fileName ?? 'compose file'} is not valid YAML: ${(e as Error).message.split('\n')[0]}`)
  }
  if (!isObj(doc) || !isObj(doc['services'])) throw new UsageError(`${opts.fileName ?? 'compose file'} has no "services:" map; is it a Compose file?`)
  const app = dnsName(opts.app ?? (typeof doc['name'] === 'string' ? doc['name'] : 'default'))
  const warnings: string[] = []
  const services = doc['services']
  const names = new Map(Object.keys(services).map(k => [k, dnsName(k)]))
  /** Compose service -> the Dokkaa service name others link to (its first port). */
  const linkTarget = new Map<string, string>()
  const parsed = new Map<string, ParsedPort[]>()
  for (const [svc, def] of Object.entries(services)) {
    const { ports, bad } = parsePorts(isObj(def) ? def['ports'] : undefined)
    for (const b of bad) warnings.push(`${svc}.ports: "${b}" is not a port mapping; skipped`)
    parsed.set(svc, ports)
    if (ports.length) linkTarget.set(svc, names.get(svc)!)
  }

  const manifests: ImportedManifest[] = []
  for (const [svc, raw] of Object.entries(services)) {
    const def: Obj = isObj(raw) ? raw : {}
    const name = names.get(svc)!
    const warn = (m: string) => warnings.push(m)
    if (typeof def['image'] !== 'string') {
      warn(`${svc}: no image (${def['build'] ? 'it is built from source; ' + DROPPED['build'] : 'nothing to run'}); skipped`)
      continue
    }
    const m: Manifest = { image: def['image'] }
    const replicas = isObj(def['deploy']) ? def['deploy']['replicas'] : def['scale']
    if (replicas !== undefined) m.scale = Number(replicas)

    const ports = parsed.get(svc)!
    if (ports.length) {
      const svcs: Record<string, number | ServiceSpec> = {}
      ports.forEach((p, i) => {
        const key = i === 0 ? name : dnsName(`${name}-${p.target}${p.protocol === 'udp' ? '-udp' : ''}`)
        svcs[key] = p.protocol === 'udp' ? { port: p.target, protocol: 'udp' } : p.target
        if (p.published) warn(`${svc}.ports: host port ${p.published} for ${p.target} dropped; Dokkaa publishes services itself (reach it as ${key}.${app}.dokkaa.local)`)
      })
      m.services = svcs
    }

    const env = keyValues(def['environment'], '=', `${svc}.environment`, warn)
    if (Object.keys(env).length) m.env = env
    if (def['command'] !== undefined) m.command = Array.isArray(def['command']) ? def['command'].map(String) : String(def['command'])

    const deps = Array.isArray(def['depends_on']) ? def['depends_on'].map(String) : isObj(def['depends_on']) ? Object.keys(def['depends_on']) : []
    const linked = Array.isArray(def['links']) ? def['links'].map(l => String(l).split(':')[0]!) : []
    const links: string[] = []
    for (const d of new Set([...deps, ...linked])) {
      const target = linkTarget.get(d)
      if (target) links.push(target)
      else if (!(d in services)) warn(`${svc}: depends on "${d}", which is not a service of this file; skipped`)
      else warn(`${svc}: depends on "${d}", which has no ports to link to; Dokkaa starts services independently`)
    }
    if (links.length) m.links = links

    const restart = def['restart'] === undefined ? undefined : RESTART[String(def['restart']).replace(/:.*$/, '')]
    if (restart) m.restart = restart
    else if (def['restart'] !== undefined) warn(`${svc}.restart: "${def['restart']}" has no Dokkaa equivalent; using always`)

    const limits = isObj(def['deploy']) && isObj(def['deploy']['resources']) && isObj(def['deploy']['resources']['limits']) ? def['deploy']['resources']['limits'] : {}
    const memText = def['mem_limit'] ?? limits['memory']
    const cpuText = def['cpus'] ?? limits['cpus']
    if (memText !== undefined || cpuText !== undefined) {
      m.resources = {}
      if (memText !== undefined) {
        const mem = composeMemory(memText)
        if (mem) m.resources.memory = mem
        else warn(`${svc}: memory limit "${memText}" not understood; skipped`)
      }
      if (cpuText !== undefined) m.resources.cpus = Number(cpuText)
    }

    if (typeof def['hostname'] === 'string') m.hostname = dnsName(def['hostname'])
    if (def['dns'] !== undefined) m.dns = (Array.isArray(def['dns']) ? def['dns'] : [def['dns']]).map(String)
    const extra = keyValues(def['extra_hosts'], ':', `${svc}.extra_hosts`, warn)
    if (Object.keys(extra).length) m.extraHosts = Object.entries(extra).map(([h, ip]) => `${h}:${ip.replace(/^=/, '')}`)
    const labels = keyValues(def['labels'], '=', `${svc}.labels`, warn)
    if (Object.keys(labels).length) m.labels = labels

    const flags: NonNullable<Manifest['dockerflags']> = {}
    if (def['entrypoint'] !== undefined) flags.Entrypoint = Array.isArray(def['entrypoint']) ? def['entrypoint'].map(String) : String(def['entrypoint'])
    if (typeof def['user'] === 'string') flags.User = def['user']
    if (typeof def['working_dir'] === 'string') flags.WorkingDir = def['working_dir']
    if (typeof def['tty'] === 'boolean') flags.Tty = def['tty']
    if (typeof def['stdin_open'] === 'boolean') flags.OpenStdin = def['stdin_open']
    if (typeof def['stop_signal'] === 'string') flags.StopSignal = def['stop_signal']
    if (typeof def['read_only'] === 'boolean') flags.ReadonlyRootfs = def['read_only']
    if (typeof def['init'] === 'boolean') flags.Init = def['init']
    if (Array.isArray(def['cap_drop'])) flags.CapDrop = def['cap_drop'].map(String)
    if (def['network_mode'] === 'host') flags.NetworkMode = 'host'
    if (Object.keys(flags).length) m.dockerflags = flags

    for (const [field, why] of Object.entries(DROPPED)) {
      if (def[field] !== undefined && field !== 'build') warn(`${svc}.${field}: dropped; ${why}`)
    }
    manifests.push({ app, name, manifest: m })
  }

  const errors = manifests.flatMap(x => {
    const r = validateManifest(x.manifest)
    return r.ok ? [] : [{ name: x.name, errors: r.errors }]
  })
  return { app, manifests, warnings, errors }
}
