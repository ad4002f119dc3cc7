// First start: the root account with a generated password (Docklet's generated_password.txt),
// and the cluster's agent token. Both are created only if missing, in etcd transactions,
// so several builders starting at once agree on one of each.
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { AgentTokenRecord, KeyLayout } from '../schemas/index.js'
import { generatePassword } from './auth/secrets.js'
import { ConflictError } from './errors.js'
import type { Accounts } from './store/accounts.js'
import type { Kv } from '../kit/kv.js'
import { readAgentToken } from './store/record-shapes.js'

export const ROOT_USER = 'root'

/** Creates root if absent and writes its password, mode 0600, to passwordFile. Returns whether it created. */
export async function ensureRoot(accounts: Accounts, passwordFile: string): Promise<{ created: boolean }> {
  if (await accounts.getUser(ROOT_USER)) return { created: false }
  const password = generatePassword()
  // The file first: a root whose password was never written anywhere would lock everyone out.
  await mkdir(dirname(passwordFile), { recursive: true, mode: 0o700 })
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 })
  try {
    await accounts.createUser(ROOT_USER, password, true)
    return { created: true }
  } catch (err) {
    if (err instanceof ConflictError) return { created: false }
    throw err
  }
}

/**
 * The token conductors' agent APIs accept; created once per cluster. A record that holds no
 * token (junk written over it) is replaced, compare-and-swap, so several builders starting
 * at once still agree on one.
 */
export async function ensureAgentToken(kv: Kv, keys: KeyLayout): Promise<string> {
  const fresh = (): string => JSON.stringify({ token: randomBytes(32).toString('base64url'), createdAt: new Date().toISOString() } satisfies AgentTokenRecord)
  let { entry } = await kv.create(keys.agentToken, fresh())
  for (;;) {
    const token = readAgentToken(entry.value)
    if (token) return token
    const value = fresh()
    if (await kv.swap(keys.agentToken, entry.modRevision, value) !== undefined) return readAgentToken(value)!
    const now = await kv.get(keys.agentToken)
    entry = now ?? (await kv.create(keys.agentToken, fresh())).entry
  }
}
