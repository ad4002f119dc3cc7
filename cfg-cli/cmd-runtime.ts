// ps, logs, the lifecycle verbs, state, hosts: commands about what runs.
import type { Command } from 'commander'
import {
  logsQuery, VERBS, type ApiAppSummary, type ApiHost, type ApiInstance, type ApiStateReply,
} from '../schemas/index.js'
import { assertNames, parseRef } from './api-client.js'
import { client } from './cmd-apps.js'
import { makeOutput, table } from './output.js'
import { psLines, type PsRow } from './ps-table.js'
import { NotFoundError, UsageError } from './errors.js'

interface Globals { json?: boolean }
const g = (cmd: Command) => cmd.optsWithGlobals<Globals>()

export function registerRuntime(program: Command): void {
  program.command('ps')
    .description('instances: where they run, their state, health, published ports and image (digest, else local id)')
    .argument('[ref]', 'app or app/name')
    .addHelpText('after', '\nExamples:\n  dokkaacfg ps\n  dokkaacfg ps dummy\n  dokkaacfg ps dummy/nginx --json')
    .action(async (ref: string | undefined, _o: unknown, cmd: Command) => {
      const api = client()
      const [app, name, ...rest] = ref?.split('/') ?? []
      if (rest.length > 0) throw new UsageError(`"${ref}" is not app or app/name`, 'for example dummy or dummy/nginx')
      if (app !== undefined) assertNames(app, name)
      const apps = await api.json<ApiAppSummary[]>('GET', '/api/v1/apps')
      const targets = apps.flatMap(a => a.manifests).filter(m => (!app || m.app === app) && (!name || m.name === name))
      if (ref && !targets.length) throw new NotFoundError(`no manifest matches "${ref}"`)
      const rows: PsRow[] = []
      for (const m of targets) {
        for (const i of await api.json<ApiInstance[]>('GET', `/api/v1/apps/${m.app}/${m.name}/instances`)) rows.push({ app: m.app, name: m.name, ...i })
      }
      makeOutput(!!g(cmd).json).result(rows, () => (rows.length ? psLines(rows) : ['no instances']))
    })

  program.command('logs')
    .description('output of an instance (instance 0 unless given)')
    .argument('<ref>', 'app/name or app/name/index')
    .option('-f, --follow', 'keep streaming')
    .option('--tail <n>', 'lines from the end', '200')
    .addHelpText('after', '\nExamples:\n  dokkaacfg logs dummy/nginx\n  dokkaacfg logs dummy/crawler/1 -f --tail 20')
    .action(async (ref: string, o: { follow?: boolean; tail: string }) => {
      const r = parseRef(ref)
      const res = await client().raw('GET', `/api/v1/apps/${r.app}/${r.name}/instances/${r.index ?? 0}/logs?${logsQuery({ tail: Number(o.tail) || 0, follow: !!o.follow })}`)
      if (!res.body) return
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) process.stdout.write(chunk)
    })

  for (const verb of VERBS) {
    program.command(verb)
      .description(`${verb} every instance of a manifest, or one`)
      .argument('<ref>', 'app/name or app/name/index')
      .addHelpText('after', `\nExamples:\n  dokkaacfg ${verb} dummy/nginx\n  dokkaacfg ${verb} dummy/nginx/1`)
      .action(async (ref: string, _o: unknown, cmd: Command) => {
        const r = parseRef(ref)
        const path = r.index === undefined ? `/api/v1/apps/${r.app}/${r.name}/actions/${verb}` : `/api/v1/apps/${r.app}/${r.name}/instances/${r.index}/actions/${verb}`
        const v = await client().json<ApiStateReply>('POST', path)
        makeOutput(!!g(cmd).json).result(v, () => [`${ref}: ${verb} requested`])
      })
  }

  program.command('state')
    .description('desired and actual state of a manifest\'s instances, or one')
    .argument('<ref>', 'app/name or app/name/index')
    .addHelpText('after', '\nExamples:\n  dokkaacfg state dummy/nginx\n  dokkaacfg state dummy/nginx/0 --json')
    .action(async (ref: string, _o: unknown, cmd: Command) => {
      const r = parseRef(ref)
      const path = r.index === undefined ? `/api/v1/apps/${r.app}/${r.name}/state` : `/api/v1/apps/${r.app}/${r.name}/instances/${r.index}/state`
      const v = await client().json<ApiStateReply>('GET', path)
      makeOutput(!!g(cmd).json).result(v, () => table(['INSTANCE', 'DESIRED', 'ACTUAL', 'HOST'], (v.state ?? []).map(i => [
        `${r.app}/${r.name}/${i.index}`, i.desired ?? '-', i.actual ?? '-', i.host ?? '-',
      ])))
    })

  program.command('hosts')
    .description('live hosts with capacity and load')
    .addHelpText('after', '\nExamples:\n  dokkaacfg hosts\n  dokkaacfg hosts --json')
    .action(async (_o: unknown, cmd: Command) => {
      const hosts = await client().json<ApiHost[]>('GET', '/api/v1/hosts')
      makeOutput(!!g(cmd).json).result(hosts, () => table(['HOST', 'ADDRESS', 'CPUS', 'MEMORY', 'LOAD', 'ENGINE'], hosts.map(h => [
        h.id, h.address, String(h.cpus ?? '-'), h.memory ? `${(h.memory / 2 ** 30).toFixed(1)} GiB` : '-', String(h.load ?? 0), h.engineVersion ?? '-',
      ])))
    })
}
