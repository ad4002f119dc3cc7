// Bring-your-own certificates: --tls-dir holds <hostname>.crt (the chain, PEM) and
// <hostname>.key (its key, PEM, mode 0600) per name. The directory is read at start and
// again whenever something in it changes (inotify through fs.watch, debounced: a
// certificate and its key are usually written one after the other), so replacing a pair
// needs no restart and no signal. A pair that cannot be used is logged and skipped; the
// others are served.
import { watch, type FSWatcher } from 'node:fs'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { isTlsHostname } from '../schemas/index.js'
import { BadFlagError } from './errors.js'
import { loadPair, type LoadedCert, type TlsStore } from './tls-store.js'

/** How long the directory must stay quiet before it is read again. */
const SETTLE_MS = 250

export interface TlsDirWatch { close(): void }

/** The usable pairs in `dir`, and a sentence per file that is not. */
export async function readTlsDir(dir: string): Promise<{ certs: Map<string, LoadedCert>; problems: string[] }> {
  const certs = new Map<string, LoadedCert>()
  const problems: string[] = []
  const files = new Set(await readdir(dir))
  for (const f of [...files].sort()) {
    if (!f.endsWith('.crt')) continue
    const name = f.slice(0, -'.crt'.length).toLowerCase()
    const keyFile = join(dir, `${f.slice(0, -'.crt'.length)}.key`)
    if (!isTlsHostname(name)) { problems.push(`${join(dir, f)}: "${name}" is not a host name (name files <hostname>.crt and <hostname>.key)`); continue }
    if (!files.has(`${f.slice(0, -'.crt'.length)}.key`)) { problems.push(`${join(dir, f)} has no key: put it in ${keyFile}`); continue }
    try {
      const mode = (await stat(keyFile)).mode & 0o777
      if ((mode & 0o077) !== 0) { problems.push(`${keyFile} is readable by group or others (mode ${mode.toString(8)}): chmod 600 ${keyFile}`); continue }
      certs.set(name, loadPair({ cert: await readFile(join(dir, f), 'utf8'), key: await readFile(keyFile, 'utf8') }, 'file'))
    } catch (err) {
      problems.push(`${join(dir, f)}: cannot be served: ${(err as Error).message}`)
    }
  }
  return { certs, problems }
}

/** Loads the directory into the store now (a directory that cannot be read is a --tls-dir error, exit 2), then on every change. */
export async function watchTlsDir(dir: string, store: TlsStore, log: Logger): Promise<TlsDirWatch> {
  const load = async (): Promise<void> => {
    const { certs, problems } = await readTlsDir(dir)
    for (const p of problems) log.error({ tlsDir: dir }, `skipping a certificate of --tls-dir: ${p}`)
    store.setFiles(certs)
    log.info({ tlsDir: dir, names: [...certs.keys()], serials: [...certs.values()].map(c => c.serial) }, 'certificates of --tls-dir loaded')
  }
  try {
    await load()
  } catch (err) {
    throw new BadFlagError('--tls-dir', `cannot read ${dir}: ${(err as Error).message}`)
  }
  let timer: NodeJS.Timeout | undefined
  let watcher: FSWatcher | undefined
  try {
    watcher = watch(dir, () => {
      clearTimeout(timer)
      timer = setTimeout(() => {
        // What was served stays served when the directory cannot be read just now.
        load().catch(err => log.error({ tlsDir: dir, err: (err as Error).message }, 'cannot read --tls-dir again; the certificates loaded before stay in use'))
      }, SETTLE_MS)
    })
    watcher.on('error', err => log.error({ tlsDir: dir, err: err.message }, '--tls-dir is no longer watched; restart the ambassador to pick up changes'))
  } catch (err) {
    log.error({ tlsDir: dir, err: (err as Error).message }, 'cannot watch --tls-dir; changes are picked up at the next start')
  }
  return { close: () => { clearTimeout(timer); watcher?.close() } }
}
