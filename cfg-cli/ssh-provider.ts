// The ssh provider: existing Debian machines, reached with the system's ssh client.
// `up` checks each host, installs the Debian packages (and Node 20 if needed), copies
// this checkout to /opt/dokkaa and builds it there, writes /etc/dokkaa/env (and
// etcd.env on the etcd hosts) and the systemd units from deploy/, then starts etcd on
// the first --etcd-members hosts, conductor and ambassador on all, and the builder on the
// first. etcd is TLS-only: `up` keeps the cluster PKI in <state-dir>/<name>/pki (the CA key
// never leaves it), gives each host its own certificates, and applies the etcd roles. Hosts
// without systemd as init get the same commands under setsid with pid files. What was
// done is recorded in <state-dir>/<name>/ssh-state.json; `down` undoes exactly that.
import { mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { StateFile, DEFAULT_STATE_DIR } from './state-file.js'
import { copyCheckout, copyClusterKey, copyPki, remoteStep, REMOTE_CLUSTER_KEY, type SshOptions } from './ssh-exec.js'
import { ensureClusterKey } from './cluster-key.js'
import { ensureClusterPki } from './cluster-pki.js'
import { applyClusterRoles } from './cluster-roles.js'
import { etcdClientTls } from './local-tls.js'
import { etcdClientUrls, etcdEnv, hostCertNames, hostEnv, parseHosts, planHosts, REMOTE_PKI_DIR, type ClusterSettings, type SshHostPlan } from './ssh-plan.js'
import { NotFoundError, PreconditionError, UsageError } from './errors.js'
import { restartConductorKeepingLease } from './lease-bridge.js'
import type { ClusterStatus, Provider, UpResult } from './provider.js'
import type { Progress } from './progress.js'

export interface SshProviderOptions {
  stateDir?: string
  cluster?: string
  /** --hosts: user@host,... in order. */
  hosts?: string
  identity?: string
  port?: number
  etcdMembers?: number
  prefix?: string
  leaseTtl?: number
  /** `auto`: the host's first non-loopback nameserver; `none`; or ip[:port]. */
  dnsUpstream?: string
  /** false: the built checkout is already in /opt/dokkaa (no packages, copy or build). */
  install?: boolean
}

interface HostRecord extends SshHostPlan {
  init?: 'systemd' | 'none'
  /** We copied /opt/dokkaa (so `down` removes it). */
  installed: boolean
  started: string[]
}

interface SshState {
  provider: 'ssh'
  version: 1
  port: number
  identity?: string
  settings: ClusterSettings
  /** false: --skip-install was given on the first `up`; later ones keep it. */
  install: boolean
  hosts: HostRecord[]
}

const b64 = (s: string) => Buffer.from(s).toString('base64')

export class SshProvider implements Provider {
  readonly name = 'ssh'
  private readonly dir: string
  private readonly file: StateFile<SshState>

  constructor(private readonly opts: SshProviderOptions = {}) {
    this.dir = join(opts.stateDir ?? DEFAULT_STATE_DIR, opts.cluster ?? 'dokkaa')
    this.file = new StateFile<SshState>(this.dir, 'ssh-state.json')
  }

  private ssh(state: SshState): SshOptions {
    return { knownHosts: join(this.dir, 'known_hosts'), identity: state.identity, port: state.port }
  }

  async up(scale: number, progress: Progress): Promise<UpResult> {
    const prior = this.file.load()
    const hostsFlag = this.opts.hosts ?? prior?.hosts.map(h => h.target).join(',')
    if (!hostsFlag) throw new UsageError('--provider=ssh needs --hosts user@host,...')
    const cluster = this.opts.cluster ?? 'dokkaa'
    const priorEtcd = prior?.hosts.filter(h => h.etcd).length
    const plan = planHosts(cluster, parseHosts(hostsFlag), scale, this.opts.etcdMembers ?? priorEtcd ?? 1)
    const state: SshState = prior ?? {
      provider: 'ssh', version: 1, port: this.opts.port ?? 22, identity: this.opts.identity,
      settings: { cluster, prefix: this.opts.prefix ?? '', leaseTtl: this.opts.leaseTtl ?? 5, dnsUpstream: this.opts.dnsUpstream ?? 'auto' },
      install: this.opts.install ?? true,
      hosts: [],
    }
    if (this.opts.install !== undefined) state.install = this.opts.install
    if (this.opts.identity) state.identity = this.opts.identity
    if (this.opts.port) state.port = this.opts.port
    const etcdNow = plan.filter(h => h.etcd).map(h => h.target)
    const etcdBefore = state.hosts.filter(h => h.etcd).map(h => h.target)
    if (etcdBefore.length && scale > 0 && etcdBefore.join() !== etcdNow.join()) {
      throw new UsageError(`the etcd members are ${etcdBefore.join(', ')}; they cannot change on a running cluster`, 'keep them first in --hosts and the same --etcd-members, or run down first')
    }
    mkdirSync(this.dir, { recursive: true })
    const save = () => this.file.save(state)
    const o = this.ssh(state)

    // Hosts no longer wanted: highest first, like the local provider.
    const removed: string[] = []
    for (const h of [...state.hosts].reverse().filter(h => !plan.some(p => p.target === h.target))) {
      await progress.step(`stop and remove Dokkaa on ${h.id} (${h.target})`, () => this.teardown(h, o))
      state.hosts = state.hosts.filter(x => x !== h)
      removed.push(h.id)
      save()
    }

    const records: HostRecord[] = plan.map(p => {
      const r = state.hosts.find(h => h.target === p.target)
      if (r) return Object.assign(r, p)
      const fresh: HostRecord = { ...p, installed: false, started: [] }
      state.hosts.push(fresh)
      return fresh
    })
    const added = records.filter(r => !r.init).map(r => r.id)
    save()
    const each = (label: string, fn: (h: HostRecord) => Promise<void>, hs = records) =>
      hs.length ? progress.step(`${label} (${hs.map(h => h.id).join(', ')})`, async () => { try { await Promise.all(hs.map(fn)) } finally { save() } }) : Promise.resolve()

    await each('check Debian, init system and node', async h => {
      const facts = Object.fromEntries((await remoteStep(h.target, o, 'check')).trim().split('\n').map(l => l.split('=') as [string, string]))
      h.init = facts['init'] === 'systemd' ? 'systemd' : 'none'
      if (!state.install && Number(facts['node']) < 20) throw new PreconditionError(`${h.target} has no Node.js 20 (found ${facts['node']}) and --skip-install was given`)
    })
    // Only hosts not installed yet: a second `up` does not copy and rebuild everything.
    const toInstall = state.install ? records.filter(h => !h.installed) : []
    await each('Debian packages', async h => { await remoteStep(h.target, o, 'packages') }, toInstall)
    await each('copy this checkout to /opt/dokkaa', async h => { await copyCheckout(h.target, o) }, toInstall)
    await each('npm ci and build in /opt/dokkaa', async h => { await remoteStep(h.target, o, 'build', [], 1_800_000); h.installed = true }, toInstall)
    const say = (h: HostRecord, out: string) => { for (const l of out.trim().split('\n').filter(Boolean)) progress.info(`${h.id}: ${l}`) }
    await each('docker', async h => { say(h, await remoteStep(h.target, o, 'start', ['docker'])) })
    // One key for the cluster, kept in its state dir; every host gets the same file.
    const clusterKey = readFileSync(ensureClusterKey(join(this.dir, 'cluster.key')), 'utf8')
    await each(`cluster key ${REMOTE_CLUSTER_KEY}`, async h => { await copyClusterKey(h.target, o, clusterKey) })
    const pkiDir = this.pkiDir
    const isBuilderHost = (h: HostRecord) => h === records[0]
    await progress.step(`certificates in ${pkiDir}`, async () => { await this.ensurePki(state, records, progress) })
    await each(`certificates to ${REMOTE_PKI_DIR}`, async h => { await copyPki(h.target, o, pkiDir, hostCertNames(h, isBuilderHost(h)), REMOTE_PKI_DIR) })
    await each('/etc/dokkaa/env and systemd units', async h => {
      await remoteStep(h.target, o, 'configure', [b64(hostEnv(state.settings, h, records)), h.etcd ? b64(etcdEnv(state.settings, h, records)) : ''])
    })
    // All members at once: a multi-member etcd waits for its peers to start.
    await each('etcd', async h => { say(h, await remoteStep(h.target, o, 'start', ['etcd'])); addStarted(h, 'etcd') }, records.filter(h => h.etcd))
    const adminTls = etcdClientTls(pkiDir, 'dokkaacfg')
    if (records.length) {
      await progress.step('etcd roles (one per identity) and authentication', async () => {
        await applyClusterRoles({ etcd: etcdClientUrls(records), tls: adminTls, prefix: state.settings.prefix, hosts: records.map(h => h.id) })
      })
    }
    await each('conductor, ambassador (and the builder on the first host)', async h => {
      const parts = isBuilderHost(h) ? ['conductor', 'ambassador', 'builder'] : ['conductor', 'ambassador']
      say(h, await remoteStep(h.target, o, 'start', parts))
      for (const p of parts) addStarted(h, p)
    })

    const first = records[0]
    return {
      provider: this.name,
      hosts: records.map(h => ({ id: h.id, address: h.address })),
      added,
      removed,
      etcdEndpoints: etcdClientUrls(records),
      etcdTls: { ca: adminTls.ca, cert: adminTls.client.cert, key: adminTls.client.key },
      prefix: state.settings.prefix,
      consoleUrl: first ? `https://${first.address}:8080/` : undefined,
      caFile: adminTls.ca,
      rootPasswordFile: first ? `${first.target}:/var/lib/dokkaa/generated_password.txt` : undefined,
    }
  }

  private get pkiDir(): string { return join(this.dir, 'pki') }

  /** The cluster PKI of these hosts (the first runs the builder); `force`: every leaf again. */
  private async ensurePki(state: SshState, records: HostRecord[], progress: Progress, force = false): Promise<string[]> {
    const hosts = records.map((h, i) => ({ id: h.id, address: h.address, etcd: h.etcd, builder: i === 0 }))
    const pki = await ensureClusterPki(this.pkiDir, { hosts, caName: `dokkaa-${state.settings.cluster}-ca` }, line => progress.info(`pki: ${line}`), { force })
    return pki.issued
  }

  /**
   * `certs rotate`: every leaf issued again, copied to its host, and each part restarted onto it
   * one at a time — the builder, then per host the ambassador and the conductor, whose lease
   * this machine holds meanwhile (lease-bridge.ts) so that no instance moves. etcd reads its
   * new certificate at the next connection.
   */
  async rotateCerts(progress: Progress): Promise<{ issued: string[]; restarted: string[] }> {
    const state = this.file.load()
    if (!state?.hosts.length) throw new NotFoundError(`no ssh cluster ${state?.settings.cluster ?? this.opts.cluster ?? 'dokkaa'} recorded in ${this.dir}`, 'dokkaacfg up --provider=ssh first, or name it with --name/--state-dir')
    const o = this.ssh(state)
    const records = state.hosts
    const issued = await progress.step(`issue every certificate again in ${this.pkiDir} (same CA, new keys)`, () => this.ensurePki(state, records, progress, true))
    await progress.step(`certificates to ${REMOTE_PKI_DIR} (${records.map(h => h.id).join(', ')})`, async () => {
      await Promise.all(records.map((h, i) => copyPki(h.target, o, this.pkiDir, hostCertNames(h, i === 0), REMOTE_PKI_DIR)))
    })
    const etcd = etcdClientUrls(records)
    const adminTls = etcdClientTls(this.pkiDir, 'dokkaacfg')
    const restarted: string[] = []
    if (records[0]!.started.includes('builder')) {
      await progress.step(`builder on ${records[0]!.id}`, async () => { await remoteStep(records[0]!.target, o, 'restart', ['builder']); restarted.push('builder') })
    }
    for (const h of records) {
      await progress.step(`${h.id}: ambassador, conductor`, async () => {
        await remoteStep(h.target, o, 'restart', ['ambassador'])
        await restartConductorKeepingLease({
          etcd, tls: adminTls, prefix: state.settings.prefix, hostId: h.id, logHint: `see /var/log/dokkaa/conductor.log on ${h.target}`,
          restart: async () => { await remoteStep(h.target, o, 'restart', ['conductor']) },
        })
        restarted.push(`${h.id}-ambassador`, `${h.id}-conductor`)
      })
    }
    return { issued, restarted }
  }

  private async teardown(h: HostRecord, o: SshOptions): Promise<void> {
    await remoteStep(h.target, o, 'stop')
    await remoteStep(h.target, o, 'remove', [h.installed ? '0' : '1'])
  }

  async down(progress: Progress): Promise<{ removed: string[] }> {
    const state = this.file.load()
    if (!state) return { removed: [] }
    const o = this.ssh(state)
    const removed: string[] = []
    for (const h of [...state.hosts].reverse()) {
      await progress.step(`stop and remove Dokkaa on ${h.id} (${h.target})`, () => this.teardown(h, o))
      state.hosts = state.hosts.filter(x => x !== h)
      this.file.save(state)
      removed.push(h.id)
    }
    rmSync(this.dir, { recursive: true, force: true })
    try { if (readdirSync(join(this.dir, '..')).length === 0) rmdirSync(join(this.dir, '..')) } catch { /* not empty */ }
    return { removed }
  }

  async status(): Promise<ClusterStatus> {
    const state = this.file.load()
    if (!state) return { provider: this.name, exists: false, hosts: [], services: {} }
    const etcd = etcdClientUrls(state.hosts)
    return {
      provider: this.name,
      exists: true,
      hosts: state.hosts.map(h => ({ id: h.id, address: h.address, components: Object.fromEntries(h.started.map(p => [p, `started (${h.init})`])) })),
      services: {
        etcd: { address: etcd.join(','), state: 'recorded' },
        ...(state.hosts[0] ? { builder: { address: `https://${state.hosts[0].address}:8080/`, state: 'recorded' } } : {}),
      },
    }
  }
}

function addStarted(h: HostRecord, part: string): void {
  if (!h.started.includes(part)) h.started.push(part)
}
