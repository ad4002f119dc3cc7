// The builder's certificate loop (one builder per cluster): for every name a web service
// with "tls": "auto" is served at, a certificate from the ACME server in /config/acme,
// ordered when missing, when close to its end (renewal.ts) or when an admin asks
// (/tls/renew/<hostname>), stored sealed at /tls/certs/<hostname> where every ambassador
// picks it up. One order at a time; a pass runs when manifests, /config/acme or a renewal
// request change, and otherwise when the next certificate falls due or a failed order may
// be tried again (at least hourly). What it found is in the log and at /tls/status.
import type { Logger } from 'pino'
import type { Kv } from '../../kit/kv.js'
import { backoffDelay, sleep } from '../../kit/backoff.js'
import { DEFAULT_DOMAIN, parseAcmeConfig, type AcmeConfig, type KeyLayout } from '../../schemas/index.js'
import { holdClusterKey, type ClusterKeyHold } from '../cluster-key.js'
import { openAccount, orderCertificate, type AcmeAccount } from './acme-order.js'
import { certRecordOf, readCertRecords, readRenewRequests } from './cert-records.js'
import { nextAttemptAt, renewalDueAt, renewalReason } from './renewal.js'
import { watchTlsWants, type TlsWants } from './tls-wants.js'
import { statusWriter, type NameStatus, type TlsStatus } from './tls-status.js'

export type TlsLog = Pick<Logger, 'info' | 'warn' | 'error'>

export interface TlsManagerOptions {
  kv: Kv
  keys: KeyLayout
  clusterKeyFile: string
  log: TlsLog
  clock?: () => number
}

export interface RunningTlsManager { stop(): Promise<void> }

const HOUR_MS = 3_600_000
/** Changes arriving together (a manifest and its status) make one pass. */
const SETTLE_MS = 200

/** Starts the loop in the background (etcd not answering yet is retried); never throws. */
export function startTlsCertificates(opts: TlsManagerOptions): RunningTlsManager {
  const { kv, keys, log } = opts
  const clock = opts.clock ?? Date.now
  const clusterKey: ClusterKeyHold = holdClusterKey(opts.clusterKeyFile)
  /** Failed orders per name; `request`: the renewal request the last one answered. */
  const failures = new Map<string, { count: number; last: number; error: string; request?: string }>()
  let account: { signature: string; account: AcmeAccount } | undefined
  let wants: TlsWants | undefined
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let again = false
  const stops: (() => Promise<void>)[] = []
  const writeStatusIfChanged = statusWriter(kv, keys)

  let timerDue = Infinity
  const schedule = (delayMs = SETTLE_MS): void => {
    if (stopped) return
    const delay = Math.max(0, Math.min(delayMs, HOUR_MS))
    // A pass already due sooner stays: a change noticed during a pass (a new manifest, a
    // renewal request) must not wait for the later wake that pass ends by scheduling.
    if (timer && Date.now() + delay >= timerDue) return
    clearTimeout(timer)
    timerDue = Date.now() + delay
    timer = setTimeout(() => { timer = undefined; timerDue = Infinity; void pass() }, delay)
  }
  const pass = async (): Promise<void> => {
    if (running) { again = true; return }
    running = runPass().catch((err: Error) => {
      log.error({ err: err.message }, 'ACME: a certificate pass failed; trying again in a minute')
      schedule(60_000)
    }).finally(() => { running = undefined; if (again && !stopped) { again = false; schedule() } })
    await running
  }

  const accountFor = async (config: AcmeConfig, key: NonNullable<ClusterKeyHold['key']>): Promise<AcmeAccount> => {
    const signature = JSON.stringify(config)
    if (account?.signature !== signature) account = { signature, account: await openAccount(kv, keys, key, config) }
    return account.account
  }

  const runPass = async (): Promise<void> => {
    if (!wants || stopped) return
    const status: TlsStatus = { updatedAt: new Date(clock()).toISOString(), config: { ok: true }, names: {} }
    const entry = await kv.get(keys.acmeConfig)
    const parsed = entry ? parseAcmeConfig(entry.value) : undefined
    const problem = !entry ? `${keys.acmeConfig} is not set: web services with "tls": "auto" get no certificate until an operator writes {"directory", "email"} there`
      : !parsed!.ok ? `${keys.acmeConfig} is not valid, no certificate is ordered: ${parsed!.errors.join('; ')}`
        : clusterKey.problem ? `certificates cannot be stored: no usable cluster key (--cluster-key-file ${clusterKey.file}): ${clusterKey.problem}; then restart the builder` : undefined
    const config = parsed?.ok ? parsed.config : undefined
    const want = wants.names(config?.domain ?? DEFAULT_DOMAIN)
    // A cluster that uses no HTTPS and has no ACME settings hears nothing of it.
    if (!entry && want.size === 0) return
    if (problem || !config || !clusterKey.key) {
      status.config = { ok: false, problem: problem ?? 'no configuration' }
      if (await writeStatusIfChanged(status)) log[entry ? 'error' : 'warn']({ key: keys.acmeConfig }, `ACME: ${status.config.problem}`)
      return
    }
    const [certs, renews] = await Promise.all([readCertRecords(kv, keys), readRenewRequests(kv, keys)])
    let wake = clock() + HOUR_MS
    for (const name of [...want].sort()) {
      if (stopped) return
      const current = certs.get(name)
      const reason = renewalReason(current, clock(), renews.has(name))
      const failed = failures.get(name)
      if (!reason && current) {
        status.names[name] = { state: 'valid', serial: current.serial, notAfter: current.notAfter }
        wake = Math.min(wake, renewalDueAt(current))
        continue
      }
      // A renewal request made after the last failure is tried at once; otherwise failures back off.
      const newRequest = renews.has(name) && renews.get(name) !== failed?.request
      if (failed && !newRequest && nextAttemptAt(failed.count, failed.last) > clock()) {
        status.names[name] = failedStatus(failed)
        wake = Math.min(wake, nextAttemptAt(failed.count, failed.last))
        continue
      }
      status.names[name] = await order(config, clusterKey.key, name, reason ?? 'no certificate yet', renews.get(name))
      const after = failures.get(name)
      if (after) wake = Math.min(wake, nextAttemptAt(after.count, after.last))
    }
    for (const name of certs.keys()) {
      if (want.has(name) || wants.keeps(name, config.domain)) continue
      await kv.delete(keys.tlsCert(name))
      log.info({ hostname: name }, 'ACME: certificate removed: no web service with "tls": "auto" is served at this name any more')
    }
    for (const [name, value] of renews) {
      if (want.has(name)) continue
      await kv.deleteIf(keys.tlsRenew(name), value)
      log.warn({ hostname: name }, `ACME: renewal request dropped: no web service with "tls": "auto" is served at ${name} (names: ${[...want].join(', ') || 'none'})`)
    }
    await writeStatusIfChanged(status)
    schedule(wake - clock())
  }

  const order = async (config: AcmeConfig, key: NonNullable<ClusterKeyHold['key']>, name: string, reason: string, renewRequest: string | undefined): Promise<NameStatus> => {
    const started = clock()
    try {
      log.info({ hostname: name, reason, directory: config.directory }, 'ACME: ordering a certificate')
      const client = await accountFor(config, key)
      const pair = await orderCertificate(client, kv, keys, name)
      const record = certRecordOf(name, pair, key, new Date(clock()))
      await kv.put(keys.tlsCert(name), JSON.stringify(record))
      // Only the request this order answered: one made while it ran gets its own.
      if (renewRequest !== undefined) await kv.deleteIf(keys.tlsRenew(name), renewRequest)
      failures.delete(name)
      log.info({ hostname: name, serial: record.serial, notAfter: record.notAfter, ms: clock() - started }, 'ACME: certificate stored; the ambassadors serve it from their next handshake')
      return { state: 'valid', serial: record.serial, notAfter: record.notAfter }
    } catch (err) {
      account = undefined
      const count = (failures.get(name)?.count ?? 0) + 1
      const failed = { count, last: clock(), error: (err as Error).message, request: renewRequest }
      failures.set(name, failed)
      log.error({ hostname: name, err: failed.error, failures: count, nextAttemptAt: new Date(nextAttemptAt(count, failed.last)).toISOString() }, 'ACME: certificate order failed')
      return failedStatus(failed)
    }
  }

  const start = async (): Promise<void> => {
    for (let attempt = 0; !stopped; attempt++) {
      try {
        const w = await watchTlsWants(kv, keys, () => schedule(), err => log.warn({ err: err.message }, 'ACME: reading the manifests again failed; retrying'))
        wants = w
        stops.push(() => w.stop())
        for (const prefix of [keys.acmeConfig, keys.tlsRenewRoot]) stops.push(await kv.watchPrefix(prefix, () => schedule()))
        // Stopped meanwhile: stop() has run already, so what was opened here is closed here.
        if (stopped) { await stopAll(); return }
        schedule(0)
        return
      } catch (err) {
        // What opened before the failure is closed: a retry must not leave a second mirror running.
        await stopAll()
        log.warn({ err: (err as Error).message }, 'ACME: cannot read the manifests yet; retrying')
        await sleep(backoffDelay(attempt))
      }
    }
  }
  const stopAll = async (): Promise<void> => { await Promise.all(stops.splice(0).map(s => s().catch(() => undefined))) }
  void start()

  return {
    // Neither a start still waiting for etcd nor an order in flight holds the builder's
    // shutdown: both see `stopped` and end; an order cut off by the closed etcd client is
    // simply ordered again by the next builder.
    async stop() {
      stopped = true
      clearTimeout(timer)
      await stopAll()
    },
  }
}

function failedStatus(f: { count: number; last: number; error: string }): NameStatus {
  return { state: 'failed', error: f.error, failures: f.count, nextAttemptAt: new Date(nextAttemptAt(f.count, f.last)).toISOString() }
}
