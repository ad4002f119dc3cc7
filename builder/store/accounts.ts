// Users and their tokens in etcd: /users/<name> and /tokens/<id>. Browser sessions are
// tokens of kind "session" with an expiry, so one lookup path serves cookies and bearers.
// Records are read through record-shapes.ts: a value that is not a user or a token (junk
// written straight into etcd) is no user or token — a 401, never a 500.
import type { KeyLayout } from '../../schemas/index.js'
import { ConflictError, NotFoundError } from '../errors.js'
import { hashPassword, hashToken, newToken, sameHash, tokenId, verifyPassword } from '../auth/secrets.js'
import type { Kv } from '../../kit/kv.js'
import type { PrincipalCache } from '../auth/principal-cache.js'
import { readToken, readUser } from './record-shapes.js'

export interface UserRecord {
  name: string
  admin: boolean
  passwordHash: string
  createdAt: string
}

export interface TokenRecord {
  id: string
  user: string
  /** A label the user chose ("ci", "laptop"); "session" for browser logins. */
  name: string
  kind: 'api' | 'session'
  hash: string
  createdAt: string
  expiresAt?: string
}

export interface Principal { user: string; admin: boolean; tokenId?: string }

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000

export class Accounts {
  constructor(
    private readonly kv: Kv,
    private readonly keys: KeyLayout,
    private readonly clock: () => number = Date.now,
    private readonly cache?: PrincipalCache,
  ) {}

  private userKey(name: string): string { return `${this.keys.users}${name}` }
  private tokenKey(id: string): string { return `${this.keys.tokens}${id}` }

  async getUser(name: string): Promise<UserRecord | undefined> {
    const e = await this.kv.get(this.userKey(name))
    const rec = readUser(e?.value)
    // The record must be the one its key names.
    return rec?.name === name ? rec : undefined
  }

  async listUsers(): Promise<UserRecord[]> {
    return (await this.kv.list(this.keys.users)).map(e => readUser(e.value)).filter((u): u is UserRecord => u !== undefined)
  }

  /** Creates a user; ConflictError if the name is taken. */
  async createUser(name: string, password: string, admin: boolean): Promise<UserRecord> {
    const rec: UserRecord = { name, admin, passwordHash: await hashPassword(password), createdAt: new Date(this.clock()).toISOString() }
    const { created } = await this.kv.create(this.userKey(name), JSON.stringify(rec))
    if (!created) throw new ConflictError(`user "${name}" already exists`)
    return rec
  }

  async deleteUser(name: string): Promise<void> {
    const { prev } = await this.kv.delete(this.userKey(name))
    if (!prev) throw new NotFoundError(`no user "${name}"`)
    for (const t of await this.listTokens(name, true)) await this.kv.delete(this.tokenKey(t.id))
    this.cache?.clear()
  }

  async checkPassword(name: string, password: string): Promise<Principal | undefined> {
    const user = await this.getUser(name)
    // Hash anyway when the user is unknown, so timing does not tell which names exist.
    const ok = await verifyPassword(password, user?.passwordHash ?? 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')
    return user && ok ? { user: user.name, admin: user.admin } : undefined
  }

  /** Issues a token; the plaintext is returned once and never stored. */
  async issueToken(user: string, name: string, kind: TokenRecord['kind']): Promise<{ plaintext: string; record: TokenRecord }> {
    const tok = newToken()
    const now = this.clock()
    const record: TokenRecord = {
      id: tok.id, user, name, kind, hash: tok.hash, createdAt: new Date(now).toISOString(),
      ...(kind === 'session' ? { expiresAt: new Date(now + SESSION_TTL_MS).toISOString() } : {}),
    }
    await this.kv.put(this.tokenKey(tok.id), JSON.stringify(record))
    return { plaintext: tok.plaintext, record }
  }

  /** The principal a token acts as, or undefined when it is unknown, revoked or expired. */
  async checkToken(plaintext: string): Promise<Principal | undefined> {
    const cached = this.cache?.get(plaintext)
    if (cached) return cached
    const p = await this.lookupToken(plaintext)
    this.cache?.ensureStarted()
    if (p) this.cache?.set(plaintext, p)
    return p
  }

  private async lookupToken(plaintext: string): Promise<Principal | undefined> {
    const id = tokenId(plaintext)
    if (!id) return undefined
    const e = await this.kv.get(this.tokenKey(id))
    const rec = readToken(e?.value)
    if (!e || !rec || rec.id !== id) return undefined
    if (!sameHash(rec.hash, hashToken(plaintext))) return undefined
    if (rec.expiresAt && Date.parse(rec.expiresAt) <= this.clock()) {
      await this.kv.delete(e.key)
      return undefined
    }
    const user = await this.getUser(rec.user)
    return user ? { user: user.name, admin: user.admin, tokenId: rec.id } : undefined
  }

  async listTokens(user: string, includeSessions = false): Promise<TokenRecord[]> {
    return (await this.kv.list(this.keys.tokens))
      .map(e => { const t = readToken(e.value); return t && e.key === this.tokenKey(t.id) ? t : undefined })
      .filter((t): t is TokenRecord => t !== undefined && t.user === user && (includeSessions || t.kind === 'api'))
  }

  /** Revokes a token of this user (admin: of anyone). NotFoundError otherwise. */
  async revokeToken(id: string, by: Principal): Promise<void> {
    const rec = readToken((await this.kv.get(this.tokenKey(id)))?.value)
    if (!rec || (rec.user !== by.user && !by.admin)) throw new NotFoundError(`no token "${id}"`)
    await this.kv.delete(this.tokenKey(id))
    // The watch clears it too, a moment later; this request's caller must not see that moment.
    this.cache?.clear()
  }
}
