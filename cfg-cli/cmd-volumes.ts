// volume ls / volume rm: the named volumes instances keep on their home hosts (issue 11).
// Removal deletes data, so it says which host and which Docker volumes it removed.
import type { Command } from 'commander'
import type { ApiVolume } from '../schemas/index.js'
import { assertNames, parseRef } from './api-client.js'
import { client } from './cmd-apps.js'
import { UsageError } from './errors.js'
import { makeOutput, table } from './output.js'

interface Globals { json?: boolean }
const g = (cmd: Command) => cmd.optsWithGlobals<Globals>()

function lsLines(vs: ApiVolume[]): string[] {
  return table(['INSTANCE', 'HOST', 'HOST UP', 'IN USE', 'DOCKER VOLUMES', 'SINCE'], vs.map(v => [
    `${v.app}/${v.name}/${v.index}`, v.host, v.hostUp ? 'yes' : 'no', v.inUse ? 'yes' : 'no',
    v.volumes.map(x => x.dockerName).join(',') || '-', v.since + (v.recreatedFrom ? ` (recreated; old data on ${v.recreatedFrom})` : ''),
  ]))
}

export function registerVolumes(program: Command): void {
  const volume = program.command('volume').description('named volumes kept by instances: list, remove')

  volume.command('ls')
    .description('the volumes of an app\'s instances: home host, whether it is up, whether the instance uses them')
    .argument('<app>', 'app')
    .addHelpText('after', '\nExamples:\n  dokkaacfg volume ls shop\n  dokkaacfg volume ls shop --json')
    .action(async (app: string, _o: unknown, cmd: Command) => {
      assertNames(app)
      const vs = await client().json<ApiVolume[]>('GET', `/api/v1/apps/${app}/volumes`)
      makeOutput(!!g(cmd).json).result(vs, () => (vs.length ? lsLines(vs) : [`no volumes in ${app}`]))
    })

  volume.command('rm')
    .description('delete the volumes (and their data) of an instance that no longer runs, on their home host')
    .argument('<ref>', 'app/name/index')
    .option('--forget', 'the home host is gone for good: drop the record, leave the data on that host')
    .addHelpText('after', '\nExamples:\n  dokkaacfg volume rm shop/db/1\n  dokkaacfg volume rm shop/db/0 --forget')
    .action(async (ref: string, o: { forget?: boolean }, cmd: Command) => {
      const r = parseRef(ref)
      if (r.index === undefined) throw new UsageError(`"${ref}" names no instance`, 'give app/name/index, e.g. shop/db/1 (`dokkaacfg volume ls shop` lists them)')
      const api = client()
      const before = (await api.json<ApiVolume[]>('GET', `/api/v1/apps/${r.app}/volumes`)).find(v => v.name === r.name && v.index === r.index)
      await api.raw('DELETE', `/api/v1/apps/${r.app}/${r.name}/volumes/${r.index}${o.forget ? '?forget=true' : ''}`)
      const what = before ? `${before.volumes.map(v => v.dockerName).join(', ')} on ${before.host}` : ref
      makeOutput(!!g(cmd).json).result({ removed: ref, forgot: !!o.forget }, () => [o.forget ? `${ref}: record dropped; the data stays on ${before?.host ?? 'its host'}` : `${ref}: removed ${what}`])
    })
}
