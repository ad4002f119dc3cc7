// What a lab could leave behind on the machine, found by its own names and paths only,
// so the check stays right while other tests create their own links, rules and mounts.
import { readFileSync, readdirSync, existsSync } from 'node:fs'
import { run } from './run-command.js'
import { cmdline } from './processes.js'
import { parseCidr, formatIpv4 } from './lab-plan.js'

export interface Leftovers {
  netns: string[]
  links: string[]
  iptables: string[]
  mounts: string[]
  processes: string[]
  paths: string[]
}

/** Things that mention the lab's name, subnet or directories. Empty lists mean a clean machine. */
export async function findLeftovers(name: string, subnet: string, dirs: string[]): Promise<Leftovers> {
  const netns = existsSync('/var/run/netns') ? readdirSync('/var/run/netns').filter(n => n.startsWith(`${name}-`)) : []
  const links = (await run('ip', ['-o', 'link', 'show'])).stdout.split('\n')
    .map(l => l.split(':')[1]?.trim().split('@')[0] ?? '')
    .filter(n => n === `${name}0` || n.startsWith(`${name}-`))
  const net = formatIpv4(parseCidr(subnet).base).split('.').slice(0, 3).join('.') + '.'
  const iptables = (await run('iptables-save', [])).stdout.split('\n')
    .filter(l => l.startsWith('-A') && (l.includes(`${name}0`) || l.includes(`${name}-`) || l.includes(net)))
  const mountPoints = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map(l => l.split(' ')[4] ?? '')
  const mounts = mountPoints.filter(p => dirs.some(d => p.startsWith(d)) || p.includes(`/netns/${name}-`))
  const processes: string[] = []
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue
    const cl = cmdline(Number(e))
    if (cl && (dirs.some(d => cl.includes(d)) || cl.includes(`/netns/${name}-`))) processes.push(`${e} ${cl}`)
  }
  const paths = dirs.filter(d => existsSync(d))
  return { netns, links, iptables, mounts, processes, paths }
}

export function isClean(l: Leftovers): boolean {
  return Object.values(l).every(v => v.length === 0)
}
