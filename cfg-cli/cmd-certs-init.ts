// certs init and roles apply: the two steps of securing a cluster's etcd that install.sh
// runs by hand (`up` runs the same code in-process); certs rotate, through the provider:
//   dokkaacfg certs init --host h1=10.0.0.2,etcd,builder --host h2=10.0.0.3
//   dokkaacfg roles apply --etcd https://10.0.0.2:2379 --host h1 --host h2
import { join } from 'node:path'
import type { Command } from 'commander'
import { parseEtcdTls } from '../kit/etcd-tls.js'
import { FlagError, parseEtcdUrls } from '../kit/flags.js'
import { ensureClusterPki, pairOf } from './cluster-pki.js'
import { applyClusterRoles } from './cluster-roles.js'
import { UsageError } from './errors.js'
import { makeOutput } from './output.js'
import { providerOptions } from './cmd-provision.js'
import { consoleProgress, silentProgress } from './progress.js'
import { makeProvider, type ProviderFlags } from './providers.js'
import { DEFAULT_PKI_DIR, type PlanHost } from './pki.js'

const HOST_ROLES = ['etcd', 'builder'] as const

/** `h1=10.0.0.2,etcd,builder` → a plan host; the roles after the address are optional. */
export function parseHostSpec(spec: string): PlanHost {
  const m = /^([^=]+)=([^,]+)((?:,[a-z]+)*)$/.exec(spec.trim())
  if (!m) throw new UsageError(`--host ${JSON.stringify(spec)}: expected <id>=<address>[,etcd][,builder], like h1=10.0.0.2,etcd,builder`)
  const roles = m[3]!.split(',').filter(Boolean)
  const unknown = roles.find(r => !(HOST_ROLES as readonly string[]).includes(r))
  if (unknown) throw new UsageError(`--host ${JSON.stringify(spec)}: unknown role "${unknown}" (roles: ${HOST_ROLES.join(', ')})`)
  return { id: m[1]!, address: m[2]!, etcd: roles.includes('etcd'), builder: roles.includes('builder') }
}

const collect = (v: string, prev: string[]) => [...prev, v]

export function registerCertsInit(certs: Command): void {
  certs.command('init')
    .description('make the cluster CA (once) and every certificate the hosts need; keeps those still good')
    .requiredOption('--host <id=address[,etcd][,builder]>', 'a host of the cluster (repeat per host)', collect, [])
    .option('--pki-dir <dir>', 'the PKI directory', DEFAULT_PKI_DIR)
    .option('--ca-name <cn>', 'the CA\'s common name (only when the CA is made)', 'dokkaa-cluster-ca')
    .option('--days <n>', 'validity of each certificate, in days', v => Number(v))
    .addHelpText('after', `
A certificate is issued again when missing, not signed by the directory's CA, within 30
days of expiry, or no longer matching its host (CN, addresses). Keys are mode 0600.

Example:
  dokkaacfg certs init --host node1=10.0.0.2,etcd,builder --host node2=10.0.0.3`)
    .action(async (o: { host: string[]; pkiDir: string; caName: string; days?: number }, c: Command) => {
      const hosts = o.host.map(parseHostSpec)
      const lines: string[] = []
      const pki = await ensureClusterPki(o.pkiDir, { hosts, caName: o.caName, ...(o.days !== undefined ? { days: o.days } : {}) }, l => lines.push(l))
      makeOutput(!!c.optsWithGlobals<{ json?: boolean }>().json).result(
        { dir: pki.dir, ca: pki.ca.certFile, issued: pki.issued, kept: pki.kept },
        () => [...lines, `${pki.dir}: ${pki.issued.length} issued, ${pki.kept.length} kept`])
    })
}

export function registerCertsRotate(certs: Command): void {
  providerOptions(certs.command('rotate'))
    .description('issue every certificate of a cluster made by `up` again (same CA, new keys) and restart each part onto it, one at a time; containers keep running')
    .addHelpText('after', `
etcd reads its certificate files at each new connection: it is not restarted. A conductor
restarting keeps its lease, so its containers are neither stopped nor moved. The old
certificates stay valid until they expire (there is no revocation list): rotate because a
key may have leaked, and remove the host (up --scale) if it did.

Examples:
  sudo dokkaacfg certs rotate --name demo`)
    .action(async (o: ProviderFlags, c: Command) => {
      const json = !!c.optsWithGlobals<{ json?: boolean }>().json
      const provider = makeProvider(o)
      if (!provider.rotateCerts) throw new UsageError(`certs rotate: not yet for the ${provider.name} provider`, 'rotate by hand: dokkaacfg certs init in the PKI directory after moving the old pairs away, then restart each part')
      const r = await provider.rotateCerts(json ? silentProgress : consoleProgress())
      makeOutput(json).result(r, () => [`issued: ${r.issued.join(', ')}`, `restarted: ${r.restarted.join(', ') || 'none'}`])
    })
}

export function registerRoles(program: Command): void {
  const roles = program.command('roles').description('etcd\'s own access control for the cluster\'s identities (docs/security.md)')
  roles.command('apply')
    .description('create or update one etcd role per identity (conductors, ambassadors, scheduler, builder), the admin as root, and turn authentication on')
    .option('--etcd <urls>', 'etcd endpoints (https://)', 'https://127.0.0.1:2379')
    .option('--pki-dir <dir>', 'where ca.crt and the admin\'s dokkaacfg.crt/.key are', DEFAULT_PKI_DIR)
    .option('--prefix <prefix>', 'the cluster\'s key prefix', '')
    .requiredOption('--host <id>', 'a host id of the cluster (repeat per host)', collect, [])
    .action(async (o: { etcd: string; pkiDir: string; prefix: string; host: string[] }, c: Command) => {
      const admin = pairOf(o.pkiDir, 'dokkaacfg')
      let urls: string[]
      let tls
      try {
        urls = parseEtcdUrls(o.etcd)
        tls = parseEtcdTls({ etcdCa: join(o.pkiDir, 'ca.crt'), etcdCert: admin.cert, etcdKey: admin.key }, urls)
      } catch (e) {
        if (e instanceof FlagError) throw new UsageError(e.message)
        throw e
      }
      if (!tls) throw new UsageError('--etcd: roles need an https:// etcd that checks client certificates')
      const r = await applyClusterRoles({ etcd: urls, tls, prefix: o.prefix, hosts: o.host })
      makeOutput(!!c.optsWithGlobals<{ json?: boolean }>().json).result(r, () => [`etcd roles applied: ${r.identities.join(', ')}; authentication on`])
    })
}
