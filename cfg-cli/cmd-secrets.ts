// secret create|ls|rm and config create|ls|get|rm: an app's secrets (sealed by the builder,
// whose value no command can show) and config files (plain text). The value comes from a
// file or stdin, never from an argument: arguments end up in shell history and `ps`.
import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import type { ApiConfigValue, ApiSecret } from '../schemas/index.js'
import { makeOutput, table } from './output.js'
import { UsageError } from './errors.js'
import { client } from './cmd-apps.js'
import { assertNames, parseRef } from './api-client.js'

/** The output the global --json asks for. */
const out = (cmd: Command) => makeOutput(!!cmd.optsWithGlobals<{ json?: boolean }>().json)

type Kind = 'secret' | 'config'
const PLURAL: Record<Kind, string> = { secret: 'secrets', config: 'configs' }

function readValue(kind: Kind, o: { fromFile?: string; fromStdin?: boolean }): Buffer {
  if (!!o.fromFile === !!o.fromStdin) throw new UsageError(`give the ${kind}'s value with exactly one of --from-file <file> or --from-stdin`)
  try {
    return o.fromFile ? readFileSync(o.fromFile) : readFileSync(0)
  } catch (e) {
    throw new UsageError(`cannot read ${o.fromFile ?? 'stdin'}: ${(e as Error).message}`)
  }
}

function lsLines(vs: ApiSecret[]): string[] {
  return table(['NAME', 'VERSION', 'CREATED', 'UPDATED'], vs.map(v => [v.name, String(v.version), v.createdAt, v.updatedAt]))
}

function register(program: Command, kind: Kind, about: string, example: string): Command {
  const plural = PLURAL[kind]
  const cmd = program.command(kind).description(about)

  cmd.command('create')
    .description(`create a ${kind}, or replace it with a new version (instances that use it are rolled)`)
    .argument('<ref>', 'app/name')
    .option('--from-file <file>', 'the value: this file\'s bytes')
    .option('--from-stdin', 'the value: stdin\'s bytes')
    .addHelpText('after', `\nExamples:\n  ${example}\n  printf %s "$VALUE" | dokkaacfg ${kind} create shop/${kind === 'secret' ? 'api-key' : 'app-config'} --from-stdin`)
    .action(async (ref: string, o: { fromFile?: string; fromStdin?: boolean }, c: Command) => {
      const r = parseRef(ref, { index: 'forbidden' })
      const value = readValue(kind, o)
      const written = await client().json<ApiSecret>('PUT', `/api/v1/apps/${r.app}/${plural}/${r.name}`, value)
      out(c).result(written, () => [`${r.app}/${r.name}: ${kind} version ${written.version} stored${written.version === 1 ? ' (new)' : ''}`])
    })

  cmd.command('ls')
    .description(`the app's ${plural}: names, versions, dates${kind === 'secret' ? ' (never a value)' : ''}`)
    .argument('<app>', 'app')
    .action(async (app: string, _o: unknown, c: Command) => {
      assertNames(app)
      const vs = await client().json<ApiSecret[]>('GET', `/api/v1/apps/${app}/${plural}`)
      out(c).result(vs, () => (vs.length ? lsLines(vs) : [`no ${plural} in ${app}`]))
    })

  cmd.command('rm')
    .description(`delete a ${kind} (refused while a manifest of the app names it)`)
    .argument('<ref>', 'app/name')
    .action(async (ref: string, _o: unknown, c: Command) => {
      const r = parseRef(ref, { index: 'forbidden' })
      await client().raw('DELETE', `/api/v1/apps/${r.app}/${plural}/${r.name}`)
      out(c).result({ removed: ref }, () => [`${ref}: ${kind} removed`])
    })
  return cmd
}

export function registerSecrets(program: Command): void {
  register(program, 'secret', 'an app\'s secrets, mounted at /run/secrets/<name> by manifests that name them: create, list, remove',
    'dokkaacfg secret create shop/db-password --from-file ./db-password.txt')
  const config = register(program, 'config', 'an app\'s config files, mounted where manifests say ("configs": {"/etc/app/app.toml": "app-config"}): create, list, show, remove',
    'dokkaacfg config create shop/app-config --from-file ./app.toml')
  config.command('get')
    .description('print a config\'s text (--json: with its version and dates)')
    .argument('<ref>', 'app/name')
    .action(async (ref: string, _o: unknown, c: Command) => {
      const r = parseRef(ref, { index: 'forbidden' })
      const cfg = await client().json<ApiConfigValue>('GET', `/api/v1/apps/${r.app}/configs/${r.name}`)
      // The text as stored, byte for byte: `config get a/b > file` gives the file back.
      const o = out(c)
      if (o.json) o.result(cfg, () => [])
      else process.stdout.write(cfg.data)
    })
}
