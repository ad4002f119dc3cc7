// The provider's memory of what it made: written after every step (atomically, via
// rename) so an interrupted `up` is finished by the next `up` and undone by `down`.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { CfgError } from './errors.js'

export const DEFAULT_STATE_DIR = '/var/lib/dokkaa-cfg'
/** Sockets and exec roots of local clusters' hosts: beside, never inside, an installed Dokkaa's /run/dokkaa. */
export const DEFAULT_RUN_DIR = '/run/dokkaa-cfg'

export class StateFile<T> {
  readonly path: string
  constructor(stateDir: string, name = 'state.json') {
    this.path = join(stateDir, name)
  }

  load(): T | undefined {
    if (!existsSync(this.path)) return undefined
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as T
    } catch (e) {
      throw new CfgError(`state file ${this.path} is not valid JSON`, 'fix or remove it by hand; nothing was changed', { cause: e })
    }
  }

  save(state: T): void {
    mkdirSync(dirname(this.path), { recursive: true })
    const tmp = `${this.path}.tmp-${process.pid}`
    writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 })
    renameSync(tmp, this.path)
  }

  remove(): void {
    rmSync(this.path, { force: true })
  }
}
