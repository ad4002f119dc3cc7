// A private registry of a test's own: Debian's docker-registry on a free loopback port,
// with htpasswd (bcrypt, made by apache2-utils' htpasswd) auth and storage in a temp dir,
// stopped and removed at teardown. Docker trusts 127.0.0.0/8 registries over plain HTTP,
// so no certificate is needed. Images are pushed with the test's own credentials,
// passed per request: nothing is written to this machine's ~/.docker.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type Docker from 'dockerode'
import { freeTcpPort } from '../../ambassador/testing/fixtures.js'
import { startProcess } from './processes.js'
import type { TeardownHost } from './teardown-host.js'
import { waitFor } from './wait-for.js'

export interface AuthRegistry {
  /** host:port, as image references name it. */
  host: string
  username: string
  password: string
  /** Tags the local image `from` as `<host>/<repo>`, pushes it with the credentials, drops the
   * local tag (so only a pull brings it back); returns the registry's digest of it. */
  push(docker: Docker, from: string, repo: string): Promise<string>
}

export async function startAuthRegistry(t: TeardownHost): Promise<AuthRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'dokkaa-registry-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const port = await freeTcpPort()
  const host = `127.0.0.1:${port}`
  const username = 'dokkaa-test'
  const password = randomBytes(12).toString('hex')
  // htpasswd -B: the only hash docker-registry takes is bcrypt.
  writeFileSync(join(dir, 'htpasswd'), execFileSync('htpasswd', ['-Bbn', username, password]))
  writeFileSync(join(dir, 'config.yml'), [
    'version: 0.1',
    'log: {level: warn, accesslog: {disabled: true}}',
    `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}, delete: {enabled: true}}`,
    `http: {addr: "${host}", secret: ${randomBytes(8).toString('hex')}}`,
    `auth: {htpasswd: {realm: dokkaa-test, path: ${join(dir, 'htpasswd')}}}`,
    '',
  ].join('\n'))
  const proc = startProcess('docker-registry', ['serve', join(dir, 'config.yml')], {}, { name: 'docker-registry' })
  t.teardown(() => proc.stop())
  // Up when /v2/ answers — 401, since it wants credentials.
  await waitFor(async () => (await fetch(`http://${host}/v2/`).catch(() => undefined))?.status === 401,
    { timeoutMs: 30_000, what: `docker-registry on ${host}: ${proc.output()}` })
  const authconfig = { username, password, serveraddress: host }
  return {
    host, username, password,
    async push(docker, from, repo) {
      const [name, tag] = repo.split(':') as [string, string]
      const ref = `${host}/${name}:${tag}`
      await docker.getImage(from).tag({ repo: `${host}/${name}`, tag })
      const stream = await docker.getImage(ref).push({ authconfig })
      const out = await new Promise<{ error?: string; aux?: { Digest?: string } }[]>((resolve, reject) =>
        docker.modem.followProgress(stream, (err: Error | null, lines: { error?: string; aux?: { Digest?: string } }[]) => (err ? reject(err) : resolve(lines))))
      const failed = out.find(o => o.error)?.error
      if (failed) throw new Error(`push ${ref}: ${failed}`)
      const digest = out.find(o => o.aux?.Digest)?.aux?.Digest
      if (!digest) throw new Error(`push ${ref}: the registry told no digest`)
      // The tag and the digest reference the push left: a pull by either must go to the registry.
      await docker.getImage(ref).remove()
      await docker.getImage(`${host}/${name}@${digest}`).remove().catch(() => {})
      return digest
    },
  }
}
