// A cluster key of a test's own (32 random bytes, base64, mode 0600), removed at teardown:
// a process under test given no --cluster-key-file would read the installed Dokkaa's
// /etc/dokkaa/cluster.key, which tests never touch.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TeardownHost } from './teardown-host.js'

export function tempClusterKeyFile(t: TeardownHost): string {
  const dir = mkdtempSync(join(tmpdir(), 'dokkaa-key-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'cluster.key')
  writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 })
  return file
}
