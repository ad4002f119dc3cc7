// The digitalocean provider (the seed's): droplets booted with cloud-init user-data
// rendered from deploy/cloud-init.yaml.tmpl. The first droplet runs etcd and the
// builder; the others join it over the VPC. Every droplet carries the tag
// dokkaa-<cluster>, and `down` deletes by that tag: droplets it did not tag are never
// touched. The tagged droplets are the whole state, so any machine with the token can
// resize or remove the cluster.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DoClient, privateIpv4, publicIpv4, type Droplet } from './do-api.js'
import { byAge, clusterTag, createRequest, dropletCloudInit, etcdTag, scalePlan, validateDoSettings, type DoSettings } from './do-plan.js'
import { renderCloudInit, DEFAULT_NODE_URL } from './cloud-init.js'
import { ensureClusterKey } from './cluster-key.js'
import { DEFAULT_STATE_DIR } from './state-file.js'
import { packageRoot } from './local-agents.js'
import { AuthError, ProvisionError, UsageError } from './errors.js'
import type { ClusterStatus, Provider, UpResult } from './provider.js'
import type { Progress } from './progress.js'

export interface DoOptions {
  cluster?: string
  namePrefix?: string
  region?: string
  size?: string
  image?: string
  sshKeys?: string[]
  prefix?: string
  leaseTtl?: number
  dokkaaPackage?: string
  dnsUpstream?: string
  /** Where the cluster's own files live (its cluster key): <stateDir>/<cluster>/. */
  stateDir?: string
  /** Only for tests: a local stand-in of the API. */
  apiUrl?: string
  token?: string
  /** How often to poll until droplets are active, and for how long. */
  pollMs?: number
  activeTimeoutMs?: number
}

/** DigitalOcean's limit on user_data. */
const USER_DATA_MAX = 64 * 1024

function packageVersion(): string {
  try { return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version } catch { return 'latest' }
}

export class DigitalOceanProvider implements Provider {
  readonly name = 'digitalocean'
  private readonly s: DoSettings
  private clientCache?: DoClient

  constructor(private readonly opts: DoOptions = {}) {
    const cluster = opts.cluster ?? 'dokkaa'
    this.s = {
      cluster,
      namePrefix: opts.namePrefix ?? cluster,
      region: opts.region ?? '',
      size: opts.size ?? '',
      image: opts.image ?? 'debian-12-x64',
      sshKeys: opts.sshKeys ?? [],
      prefix: opts.prefix ?? '',
      leaseTtl: opts.leaseTtl ?? 5,
      nodeUrl: DEFAULT_NODE_URL,
      dokkaaPackage: opts.dokkaaPackage ?? `dokkaa@${packageVersion()}`,
      // DigitalOcean's own resolvers, reachable from every droplet.
      dnsUpstream: opts.dnsUpstream ?? '67.207.67.2',
    }
  }

  private get client(): DoClient {
    const token = this.opts.token ?? process.env['DIGITALOCEAN_ACCESS_TOKEN']
    if (!token) {
      throw new AuthError('DIGITALOCEAN_ACCESS_TOKEN is not set',
        'create a personal access token (control panel: API > Tokens) and export DIGITALOCEAN_ACCESS_TOKEN=dop_v1_…')
    }
    return this.clientCache ??= new DoClient({ token, baseUrl: this.opts.apiUrl ?? process.env['DOKKAA_DO_API_URL'] })
  }

  private userData(name: string, etcdAddress: string | undefined): string {
    // One key for the cluster, made at its first `up` and kept: droplets added later get the same.
    const key = readFileSync(ensureClusterKey(join(this.opts.stateDir ?? DEFAULT_STATE_DIR, this.s.cluster, 'cluster.key')), 'utf8')
    const text = renderCloudInit(dropletCloudInit(this.s, name, etcdAddress, key))
    if (Buffer.byteLength(text) > USER_DATA_MAX) throw new UsageError(`cloud-init user-data for ${name} is ${Buffer.byteLength(text)} bytes; DigitalOcean takes at most 64 KiB`)
    return text
  }

  /** Polls the tagged list until every named droplet is active with the addresses we need. */
  private async waitActive(names: string[], needPrivate: boolean): Promise<Droplet[]> {
    const until = Date.now() + (this.opts.activeTimeoutMs ?? 600_000)
    for (;;) {
      const ds = await this.client.listDroplets(clusterTag(this.s.cluster))
      const ready = ds.filter(d => names.includes(d.name) && d.status === 'active' && publicIpv4(d) && (!needPrivate || privateIpv4(d)))
      if (ready.length === names.length) return ready
      if (Date.now() > until) {
        const missing = names.filter(n => !ready.some(d => d.name === n))
        throw new ProvisionError(`droplets not active within ${Math.round((this.opts.activeTimeoutMs ?? 600_000) / 1000)} s: ${missing.join(', ')}`, 'see the control panel; run `up` again to finish')
      }
      await new Promise(r => setTimeout(r, this.opts.pollMs ?? Number(process.env['DOKKAA_DO_POLL_MS'] ?? 5000)))
    }
  }

  async up(scale: number, progress: Progress): Promise<UpResult> {
    validateDoSettings(this.s)
    const tag = clusterTag(this.s.cluster)
    const existing = await progress.step(`droplets tagged ${tag}`, () => this.client.listDroplets(tag))
    const plan = scalePlan(existing, scale, this.s)

    for (const d of plan.remove) {
      await progress.step(`delete droplet ${d.name} (${d.id})`, () => this.client.deleteDroplet(d.id))
    }

    let create = plan.create
    let etcd = existing.find(d => d.tags.includes(etcdTag(this.s.cluster)) && d.status !== 'archive')
    if (plan.etcdFirst) {
      // The others need its VPC address in their user-data, so it goes first and alone.
      const first = create[0]!
      await progress.step(`create droplet ${first} (etcd, builder)`, () => this.client.createDroplet(createRequest(this.s, first, this.userData(first, undefined), true)))
      etcd = (await progress.step(`wait for ${first} to be active`, () => this.waitActive([first], true)))[0]
      create = create.slice(1)
    }
    if (create.length) {
      const etcdAddress = etcd && privateIpv4(etcd)
      if (!etcdAddress) throw new ProvisionError(`the etcd droplet of ${this.s.cluster} has no private address yet`, 'run `up` again in a minute')
      for (const name of create) {
        await progress.step(`create droplet ${name}`, () => this.client.createDroplet(createRequest(this.s, name, this.userData(name, etcdAddress), false)))
      }
      await progress.step(`wait for ${create.join(', ')} to be active`, () => this.waitActive(create, false))
    }

    const all = byAge(plan.create.length || plan.remove.length ? await this.client.listDroplets(tag) : existing)
    const etcdNow = all.find(d => d.tags.includes(etcdTag(this.s.cluster)))
    const etcdPublic = etcdNow && publicIpv4(etcdNow)
    if (etcdNow) progress.info(`cloud-init installs and starts Dokkaa on each droplet in a few minutes (ssh root@${etcdPublic ?? etcdNow.name} cloud-init status --wait)`)
    return {
      provider: this.name,
      hosts: all.map(d => ({ id: d.name, address: publicIpv4(d) ?? '' })),
      added: plan.create,
      removed: plan.remove.map(d => d.name),
      etcdEndpoints: etcdPublic ? [`http://${etcdPublic}:2379`] : [],
      prefix: this.s.prefix,
      consoleUrl: etcdPublic ? `http://${etcdPublic}:8080/` : undefined,
      rootPasswordFile: etcdNow ? `root@${etcdPublic ?? etcdNow.name}:/var/lib/dokkaa/generated_password.txt` : undefined,
    }
  }

  async down(progress: Progress): Promise<{ removed: string[] }> {
    const tag = clusterTag(this.s.cluster)
    const ds = await progress.step(`droplets tagged ${tag}`, () => this.client.listDroplets(tag))
    if (!ds.length) return { removed: [] }
    await progress.step(`delete ${ds.length} droplet${ds.length > 1 ? 's' : ''} tagged ${tag}`, () => this.client.deleteByTag(tag))
    return { removed: byAge(ds).map(d => d.name) }
  }

  async status(): Promise<ClusterStatus> {
    const ds = byAge(await this.client.listDroplets(clusterTag(this.s.cluster)))
    const etcd = ds.find(d => d.tags.includes(etcdTag(this.s.cluster)))
    const ip = etcd && publicIpv4(etcd)
    return {
      provider: this.name,
      exists: ds.length > 0,
      hosts: ds.map(d => ({ id: d.name, address: publicIpv4(d) ?? '', components: { droplet: d.status } })),
      services: ip ? { etcd: { address: `http://${ip}:2379`, state: etcd.status }, builder: { address: `http://${ip}:8080/`, state: etcd.status } } : {},
    }
  }
}
