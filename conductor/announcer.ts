// Writes what runs here to etcd: /instances records and SkyDNS entries, under the host
// lease, only when they change. Keys a previous run of this conductor left behind are
// taken over (written again under the new lease) or deleted when the instance is gone.
import type { InstanceRecord, InstanceRef, KeyLayout, SkydnsRecord } from '../schemas/index.js'
import { LABELS } from '../schemas/index.js'
import { kvOf, type EtcdClient, type Kv } from '../kit/kv.js'
import type { LeaseKeeper } from './lease-keeper.js'
import { instanceRecord, memoFromRecord, rejectedRecord, sameRecord, skydnsRecords, type InstanceMemo } from './instance-record.js'
import type { RejectedInstance } from './desired-state.js'
import type { ContainerDetail } from './docker-engine.js'
import type { InstanceView } from './instance-view.js'
import { readInstanceRecord, readSkydnsRecord } from './etcd-records.js'
import type { DesiredInstance } from './model.js'
import { manifestKey, refKey } from './model.js'

interface Written { value: string; leased: boolean }

export class Announcer {
  /** instance key -> what is there (our write, or a previous run's). */
  private readonly records = new Map<string, Written & { record: InstanceRecord }>()
  /** refKey -> skydns key -> what is there. */
  private readonly dns = new Map<string, Map<string, Written>>()
  private readonly kv: Kv

  constructor(
    store: Kv | EtcdClient,
    private readonly keys: KeyLayout,
    private readonly lease: LeaseKeeper,
    private readonly hostId: string,
    private readonly hostAddress: string,
  ) {
    this.kv = kvOf(store)
  }

  /** Reads what a previous run of this host's conductor left; returns its memos per refKey. */
  async adopt(): Promise<Map<string, InstanceMemo>> {
    const memos = new Map<string, InstanceMemo>()
    const ours = new Map<string, InstanceRecord>()
    // In pages: /instances and /skydns grow with the cluster (and with junk written there);
    // values of the wrong shape, or keys naming no valid instance, are not ours to take over.
    for (const { key, value } of await this.kv.list(this.keys.instances)) {
      const ref = this.keys.parseInstance(key)
      const record = ref ? readInstanceRecord(value) : undefined
      if (!ref || !record || record.host !== this.hostId) continue
      this.records.set(key, { value, leased: false, record })
      memos.set(refKey(ref), memoFromRecord(record))
      ours.set(refKey(ref), record)
    }
    for (const { key, value } of await this.kv.list(this.keys.skydnsRoot)) {
      const at = this.keys.parseSkydns(key)
      const entry = at ? readSkydnsRecord(value) : undefined
      const prev = entry?.instance ? ours.get(entry.instance) : undefined
      // Ours: the key is the named instance's, the value points at this host. (Not
      // necessarily at the record's ports: mid start-first, the old container serves.)
      if (!at || !entry || !prev || entry.host !== prev.hostAddress || !isKeyOf(at, entry.instance!)) continue
      const map = this.dns.get(entry.instance!) ?? new Map<string, Written>()
      map.set(key, { value, leased: false })
      this.dns.set(entry.instance!, map)
      // What served: a container with a health check there stays announced until checked anew.
      const adopted = memos.get(entry.instance!)?.adopted
      if (adopted) adopted.dnsPorts = [...adopted.dnsPorts ?? [], entry.port]
    }
    return memos
  }

  /** A key another host took over while we were cut off: no longer ours to update or delete. */
  forget(key: string): void {
    this.records.delete(key)
    for (const [rk, map] of this.dns) {
      if (map.delete(key) && map.size === 0) this.dns.delete(rk)
    }
  }

  /** Every manifest we hold a record or DNS entry for (so resync looks at it even when nothing runs). */
  manifests(): string[] {
    const out = new Set<string>()
    for (const key of this.records.keys()) {
      const ref = this.keys.parseInstance(key)
      if (ref) out.add(manifestKey(ref))
    }
    for (const rk of this.dns.keys()) out.add(rk.split('/').slice(0, 2).join('/'))
    return [...out]
  }

  /** Announces one manifest's instances on this host; anything of it not desired here is withdrawn. */
  async publish(
    app: string, name: string, desired: DesiredInstance[], views: ReadonlyMap<string, InstanceView>,
    memos: (ref: InstanceRef) => InstanceMemo, now: number, rejected: readonly RejectedInstance[] = [],
    digestOf: (c: ContainerDetail) => string | undefined = () => undefined,
  ): Promise<void> {
    const seen = new Set<string>()
    for (const d of desired) {
      const rk = refKey(d.ref)
      seen.add(rk)
      const view = views.get(rk)
      const memo = memos(d.ref)
      // An old container while the new spec's could not even be made (a pull failure): the
      // record tells of the failure, for the new spec; the old one may still serve.
      const speaks = view?.record && (view.current || !memo.error) ? view : undefined
      const detail = speaks?.record
      const imageDigest = detail && digestOf(detail)
      const record = instanceRecord({
        ref: d.ref, desired: d, detail, health: speaks?.health, memo, hostId: this.hostId, hostAddress: this.hostAddress, now, ...(imageDigest ? { imageDigest } : {}),
      })
      await this.putRecord(d.ref, record)
      await this.putDns(rk, skydnsRecords(this.keys, d.ref, servingSpec(d, view), this.hostAddress, view?.serving))
    }
    // Refused assignments: a failed record saying why, and nothing in DNS.
    for (const r of rejected) {
      const rk = refKey(r.ref)
      seen.add(rk)
      await this.putRecord(r.ref, rejectedRecord({ ...r, memo: memos(r.ref), hostId: this.hostId, hostAddress: this.hostAddress, now }))
      await this.putDns(rk, new Map())
    }
    for (const key of [...this.records.keys()]) {
      const ref = this.keys.parseInstance(key)
      if (ref && ref.app === app && ref.name === name && !seen.has(refKey(ref))) await this.putRecord(ref, undefined)
    }
    for (const rk of [...this.dns.keys()]) {
      if (rk.startsWith(`${app}/${name}/`) && !seen.has(rk)) await this.putDns(rk, new Map())
    }
  }

  private async putRecord(ref: InstanceRef, record: InstanceRecord | undefined): Promise<void> {
    const key = this.keys.instance(ref)
    const old = this.records.get(key)
    if (!record) {
      if (old && await this.lease.delete(key, old.value)) this.records.delete(key)
      return
    }
    if (old?.leased && sameRecord(old.record, record)) return
    const value = JSON.stringify(record)
    if (await this.lease.put(key, value)) this.records.set(key, { value, leased: true, record })
  }

  private async putDns(rk: string, want: Map<string, SkydnsRecord>): Promise<void> {
    const have = this.dns.get(rk) ?? new Map<string, Written>()
    for (const [key, w] of [...have]) {
      if (!want.has(key) && await this.lease.delete(key, w.value)) have.delete(key)
    }
    for (const [key, entry] of want) {
      const value = JSON.stringify(entry)
      const w = have.get(key)
      if (w?.leased && w.value === value) continue
      if (await this.lease.put(key, value)) have.set(key, { value, leased: true })
    }
    if (have.size > 0) this.dns.set(rk, have)
    else this.dns.delete(rk)
  }
}

/** The old container serving during a replacement publishes the services of its own spec. */
function servingSpec(d: DesiredInstance, view: InstanceView | undefined): DesiredInstance {
  const hash = view?.serving?.labels[LABELS.spec]
  return d.previous && hash !== d.specHash && d.previous.specHash === hash ? { ...d, spec: d.previous.spec } : d
}

/** A SkyDNS key (app, leaf) that belongs to instance `rk` ("app/name/index"). */
function isKeyOf(at: { app: string; leaf: string }, rk: string): boolean {
  const [app, name, index] = rk.split('/')
  return at.app === app && at.leaf === `${name}-${index}`
}
