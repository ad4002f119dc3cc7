// registry login|ls|logout: the credentials conductors pull private images with (admin
// only; the builder seals the password under the cluster key and never shows it again). The
// password comes from stdin only, as `docker login --password-stdin` takes it: an argument
// ends up in shell history and in `ps` for every user of the machine.
import { readFileSync } from 'node:fs'
import { Option, type Command } from 'commander'
import {
  MAX_REGISTRY_PASSWORD_BYTES, registryHostProblem, registryUsernameProblem, type ApiRegistry, type ApiRegistryLogin,
} from '../schemas/index.js'
import { client } from './cmd-apps.js'
import { UsageError } from './errors.js'
import { makeOutput, table } from './output.js'

const out = (cmd: Command) => makeOutput(!!cmd.optsWithGlobals<{ json?: boolean }>().json)

const STDIN_HINT = 'printf %s "$TOKEN" | dokkaacfg registry login <host> --username <user> --password-stdin'

/** The password as piped in: one trailing newline (an `echo`'s, "\n" or "\r\n") dropped, the rest as sent. */
export function passwordFromStdin(input: Buffer): string {
  const text = input.toString('utf8')
  const password = text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text
  if (password.length === 0) throw new UsageError('no password on stdin', STDIN_HINT)
  const bytes = Buffer.byteLength(password, 'utf8')
  if (bytes > MAX_REGISTRY_PASSWORD_BYTES) throw new UsageError(`a registry password may be at most ${MAX_REGISTRY_PASSWORD_BYTES} bytes (MAX_REGISTRY_PASSWORD_BYTES), got ${bytes} on stdin`)
  return password
}

/** The host as the builder takes it, refused here (before any request) by the same rule. */
function assertHost(host: string): void {
  const problem = registryHostProblem(host)
  if (problem) throw new UsageError(problem)
}

export function registryLines(rs: ApiRegistry[]): string[] {
  return rs.length ? table(['HOST', 'USERNAME', 'UPDATED'], rs.map(r => [r.host, r.username, r.updatedAt])) : ['no registry credentials stored']
}

export function registerRegistries(program: Command): void {
  const cmd = program.command('registry')
    .description('credentials for private registries, which every conductor pulls with (admin): log in, list, log out')

  cmd.command('login')
    .description('store (or replace) the username and password (or token) conductors pull from <host> with; the password is read from stdin')
    .argument('<host>', 'the registry as image references name it: host[:port], e.g. registry.example.com:5000 (docker.io for Docker Hub)')
    .option('-u, --username <user>', 'the registry user')
    .option('--password-stdin', 'read the password (or token) from stdin; one trailing newline is dropped')
    // Offered only to say why not: a password in the arguments is what this command avoids.
    .addOption(new Option('-p, --password <password>').hideHelp())
    .addHelpText('after', `\nExamples:\n  ${STDIN_HINT.replace('<host>', 'registry.example.com:5000').replace('<user>', 'ci')}\n  dokkaacfg registry login docker.io --username me --password-stdin < ~/.hub-token`)
    .action(async (host: string, o: { username?: string; passwordStdin?: boolean; password?: string }, c: Command) => {
      if (o.password !== undefined) throw new UsageError('a password on the command line ends up in shell history and `ps`: pass it on stdin with --password-stdin', STDIN_HINT)
      if (!o.passwordStdin) throw new UsageError('pass --password-stdin and the password on stdin (dokkaacfg takes no password as an argument)', STDIN_HINT)
      assertHost(host)
      const userProblem = registryUsernameProblem(o.username)
      if (userProblem) throw new UsageError(userProblem)
      let input: Buffer
      try { input = readFileSync(0) } catch (e) { throw new UsageError(`cannot read stdin: ${(e as Error).message}`) }
      const body: ApiRegistryLogin = { username: o.username!, password: passwordFromStdin(input) }
      const r = await client().json<ApiRegistry>('PUT', `/api/v1/registries/${encodeURIComponent(host)}`, body)
      out(c).result(r, () => [`${r.host}: credentials of ${r.username} stored${r.createdAt === r.updatedAt ? ' (new)' : ' (replaced)'}; conductors pull from ${r.host} with them`])
    })

  cmd.command('ls')
    .description('the registries credentials are stored for: host, username, last update (never a password)')
    .action(async (_o: unknown, c: Command) => {
      const rs = await client().json<ApiRegistry[]>('GET', '/api/v1/registries')
      out(c).result(rs, () => registryLines(rs))
    })

  cmd.command('logout')
    .description('remove a registry\'s credentials; conductors then pull from it anonymously')
    .argument('<host>', 'the registry, as given to login')
    .action(async (host: string, _o: unknown, c: Command) => {
      assertHost(host)
      await client().raw('DELETE', `/api/v1/registries/${encodeURIComponent(host)}`)
      out(c).result({ removed: host }, () => [`${host}: credentials removed`])
    })
}
