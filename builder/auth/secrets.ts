// Password hashing (scrypt) and API/session token handling: pure functions over node:crypto.
// Tokens are "dkk_<id>_<secret>": the id finds the stored record, only the secret's
// SHA-256 is stored (a token has 192 random bits, so a fast hash is enough; passwords get scrypt).
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto'

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 }

function scryptAsync(password: string, salt: Buffer, params = SCRYPT): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, params.keylen, { N: params.N, r: params.r, p: params.p, maxmem: 64 * 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key))))
}

/** "scrypt$N$r$p$salt$hash", base64url parts: the parameters travel with the hash. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await scryptAsync(password, salt)
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$')
  if (scheme !== 'scrypt' || !salt || !hash) return false
  const expected = Buffer.from(hash, 'base64url')
  const key = await scryptAsync(password, Buffer.from(salt, 'base64url'),
    { N: Number(n), r: Number(r), p: Number(p), keylen: expected.length })
  return timingSafeEqual(key, expected)
}

/** A readable random password for the generated root account. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url')
}

export interface NewToken { id: string; plaintext: string; hash: string }

export function newToken(): NewToken {
  const id = randomBytes(6).toString('hex')
  const plaintext = `dkk_${id}_${randomBytes(24).toString('base64url')}`
  return { id, plaintext, hash: hashToken(plaintext) }
}

export function hashToken(plaintext: string): string {
  return createHash('sha256').update(plaintext).digest('hex')
}

/** The id part of a token, or undefined when the text is not shaped like one. */
export function tokenId(plaintext: string): string | undefined {
  return /^dkk_([0-9a-f]{12})_[A-Za-z0-9_-]{32}$/.exec(plaintext)?.[1]
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}
