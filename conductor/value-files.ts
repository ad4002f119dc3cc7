// Writes an instance's secrets and configs to files on a host tmpfs before its container is
// created, and removes them once no container of that instance and spec exists. The only
// place a secret is opened (with the cluster key, read at start): its plaintext goes from
// the sealed value straight into a 0400 file, never into a log line, an error, the env, a
// label or etcd. Where the files live and how they are mounted: value-mounts.ts.
import { execFile } from 'node:child_process'
import { chmod, chown, mkdir, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { dirname, join } from 'node:path'
import type { ClusterKey } from '../kit/secret-box.js'
import { LABELS, secretAad } from '../schemas/index.js'
import type { ContainerMount, DockerEngine } from './docker-engine.js'
import { ConductorError } from './errors.js'
import type { DesiredInstance } from './model.js'
import {
  CONFIG_FILE_MODE, DIR_MODE, fsTypeAt, hasValues, hostDirName, isMemoryFs, parseValueDirName, SECRET_FILE_MODE, SECRETS_SUBDIR_MODE, secretOwner,
  valueDirName, valueMounts,
} from './value-mounts.js'

export interface ValueFilesOptions {
  /** --secrets-dir: must be on a tmpfs for secrets to be written there. */
  baseDir: string
  hostId: string
  /** The cluster key, or why there is none (--cluster-key-file unreadable): then every secret's create fails with it. */
  key: ClusterKey | Error
  /** /proc/mounts, for the tmpfs check (tests pass their own). */
  procMounts?: () => Promise<string>
  /** Mounts a tmpfs at a directory (tests pass their own; default: mount(8), as root). */
  mountTmpfs?: (dir: string) => Promise<void>
}

/** A limit, not an allocation: room for a few hundred containers' files at the largest. */
const TMPFS_OPTIONS = 'size=256m,mode=0700'

async function mountTmpfs(dir: string): Promise<void> {
  await promisify(execFile)('mount', ['-t', 'tmpfs', '-o', TMPFS_OPTIONS, 'dokkaa-secrets', dir])
}

export class ValueFiles {
  private readonly root: string
  /** Directories written for a create still under way: a sweep leaves them alone. */
  private readonly pending = new Map<string, number>()
  private tmpfs?: Promise<void>

  constructor(private readonly o: ValueFilesOptions) {
    this.root = join(o.baseDir, hostDirName(o.hostId))
  }

  /** The files of the container `d` is about to get, written afresh; its mounts. Call
   * `created(d)` once the create is done (or failed). Throws a ConductorError naming what failed. */
  async prepare(d: DesiredInstance): Promise<ContainerMount[]> {
    if (!hasValues(d.spec)) return []
    const dir = join(this.root, valueDirName(d.ref, d.specHash))
    this.pending.set(dir, (this.pending.get(dir) ?? 0) + 1)
    try {
      // Opened before anything is written: a secret that does not open leaves no directory.
      const secrets = (d.spec.secrets ?? []).map(name => ({ name, plain: this.open(d, name) }))
      if (secrets.length > 0) await this.checkTmpfs()
      await rm(dir, { recursive: true, force: true })
      await mkdir(this.root, { recursive: true, mode: DIR_MODE })
      await mkdir(dir, { mode: DIR_MODE })
      if (secrets.length > 0) {
        await mkdir(join(dir, 'secrets'), { mode: DIR_MODE })
        const owner = secretOwner(d.spec)
        for (const s of secrets) {
          const file = join(dir, 'secrets', s.name)
          await writeFile(file, s.plain, { mode: SECRET_FILE_MODE })
          if (owner) await chown(file, owner.uid, owner.gid)
        }
        if (owner) await chown(join(dir, 'secrets'), owner.uid, owner.gid)
        await chmod(join(dir, 'secrets'), SECRETS_SUBDIR_MODE)
      }
      const configs = [...new Set(Object.values(d.spec.configs ?? {}))]
      if (configs.length > 0) await mkdir(join(dir, 'configs'), { mode: 0o755 })
      for (const name of configs) {
        const c = d.configs?.[name]
        if (!c) throw new ConductorError('DKA_CONDUCTOR_SECRET_FILES', `the assignment carries no version of config "${name}"; the scheduler writes one with every assignment`)
        await writeFile(join(dir, 'configs', name), c.data, { mode: CONFIG_FILE_MODE })
      }
      return valueMounts(dir, d.spec)
    } catch (err) {
      this.created(d)
      if (err instanceof ConductorError) throw err
      throw new ConductorError('DKA_CONDUCTOR_SECRET_FILES', `cannot write the secret and config files of ${valueDirName(d.ref, d.specHash)} under ${this.root}: ${(err as Error).message}`, { cause: err })
    }
  }

  /** The create of `d`'s container is over: its directory is the sweep's to judge again. */
  created(d: DesiredInstance): void {
    const dir = join(this.root, valueDirName(d.ref, d.specHash))
    const n = (this.pending.get(dir) ?? 1) - 1
    if (n > 0) this.pending.set(dir, n)
    else this.pending.delete(dir)
  }

  /** Removes every directory whose instance and spec no container of this host has (after a
   * container's removal, and at start for what a previous run left). Returns the ones removed. */
  async sweep(engine: Pick<DockerEngine, 'listContainers'>): Promise<string[]> {
    let names: string[]
    try {
      names = await readdir(this.root)
    } catch {
      return [] // nothing written yet
    }
    // Judged before the containers are listed: a create that ends meanwhile is in the list.
    const candidates = names.filter(n => !this.pending.has(join(this.root, n)))
    const live = new Set((await engine.listContainers({ [LABELS.host]: this.o.hostId })).map(c => {
      const l = c.labels
      return `${l[LABELS.app]}---${l[LABELS.name]}---${l[LABELS.instance]}---${l[LABELS.spec]}`
    }))
    const removed: string[] = []
    for (const name of candidates) {
      if (parseValueDirName(name) === undefined || live.has(name)) continue
      await rm(join(this.root, name), { recursive: true, force: true })
      removed.push(name)
    }
    return removed
  }

  /** Whether an engine's message names a path of ours: a start that failed for a file gone. */
  holds(message: string): boolean {
    return message.includes(`${this.root}/`)
  }

  private open(d: DesiredInstance, name: string): Buffer {
    const s = d.secrets?.[name]
    if (!s) throw new ConductorError('DKA_CONDUCTOR_SECRET_FILES', `the assignment carries no version of secret "${name}"; the scheduler writes one with every assignment`)
    if (this.o.key instanceof Error) throw new ConductorError('DKA_CONDUCTOR_SECRET_FILES', `cannot open secret "${name}": ${this.o.key.message}`)
    try {
      return this.o.key.open(s.sealed, secretAad(d.ref.app, name, s.version))
    } catch (err) {
      throw new ConductorError('DKA_CONDUCTOR_SECRET_FILES', `cannot open secret "${name}" (version ${s.version}): ${(err as Error).message}`)
    }
  }

  /** Secrets go only to a file system in memory: on a disk they would outlive the host's power.
   * This host's directory not on one (no tmpfs at /run here): a tmpfs is mounted there, as
   * dockerd does for Swarm's secrets; per host, so conductors sharing a machine never mount
   * over each other's files. It stays mounted after the conductor exits (the next run reuses it). */
  private checkTmpfs(): Promise<void> {
    // Once per run, one at a time: two creates at once must not mount two tmpfs over each other.
    this.tmpfs ??= this.ensureTmpfs().catch(err => { this.tmpfs = undefined; throw err })
    return this.tmpfs
  }

  private async ensureTmpfs(): Promise<void> {
    const first = await this.fsType()
    if (isMemoryFs(first)) return
    let mounted = ''
    try {
      await mkdir(this.root, { recursive: true, mode: DIR_MODE })
      await (this.o.mountTmpfs ?? mountTmpfs)(this.root)
    } catch (err) {
      mounted = `, and mounting one there failed: ${(err as Error).message.split('\n')[0]}`
    }
    const type = await this.fsType()
    if (!isMemoryFs(type)) {
      throw new ConductorError('DKA_CONDUCTOR_SECRET_FILES', `the secrets dir ${this.root} is on ${type ?? 'an unknown file system'}, not a tmpfs${mounted}: secrets are written only to memory (mount a tmpfs there, or start the conductor with --secrets-dir on one)`)
    }
  }

  /** The file system this host's directory is (or, not made yet, will be) on. */
  private async fsType(): Promise<string | undefined> {
    let at = this.root
    for (;;) {
      try { at = await realpath(at); break } catch { if (dirname(at) === at) break; at = dirname(at) }
    }
    return fsTypeAt(at, await (this.o.procMounts ?? (() => readFile('/proc/mounts', 'utf8')))())
  }
}
