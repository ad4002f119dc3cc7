// Where `dokkaacfg login` keeps the builder URL and API token (and the cluster CA file an
// https builder is checked against): $DOKKAA_CONFIG or ~/.config/dokkaa/credentials.json,
// readable by its owner only. DOKKAA_URL, DOKKAA_TOKEN and DOKKAA_CA override it, for scripts and CI.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { AuthError } from './errors.js'

export interface Credentials {
  url: string
  token: string
  user?: string
  /** The cluster CA (PEM file, an absolute path) that signed an https builder's certificate. */
  ca?: string
}

export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOKKAA_CONFIG ?? join(env.HOME ?? homedir(), '.config', 'dokkaa', 'credentials.json')
}

export function saveCredentials(c: Credentials, env: NodeJS.ProcessEnv = process.env): string {
  const p = credentialsPath(env)
  mkdirSync(dirname(p), { recursive: true, mode: 0o700 })
  writeFileSync(p, JSON.stringify(c, null, 2) + '\n', { mode: 0o600 })
  return p
}

export function loadCredentials(env: NodeJS.ProcessEnv = process.env): Credentials {
  const p = credentialsPath(env)
  const stored = existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) as Partial<Credentials> : {}
  const url = env.DOKKAA_URL ?? stored.url
  const token = env.DOKKAA_TOKEN ?? stored.token
  const ca = env.DOKKAA_CA || stored.ca
  if (!url || !token) {
    throw new AuthError('not logged in to a Dokkaa builder', 'run `dokkaacfg login --url http://<builder>:8080 --user root --password-file <file>` (or set DOKKAA_URL and DOKKAA_TOKEN)')
  }
  return { url, token, user: stored.user, ...(ca ? { ca } : {}) }
}
