// Mounts a daemon made under directories we own (overlay layers, container shm,
// netns bind mounts). dockerd shares the host's mount namespace (nsenter --net only),
// so whatever it leaves mounted must be unmounted before its directories go.
import { readFileSync } from 'node:fs'
import { run } from './run-command.js'

function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))
}

/** Mount points at or under any of `dirs`, deepest first. */
export function mountsUnder(dirs: string[]): string[] {
  const roots = dirs.map(d => d.replace(/\/+$/, ''))
  const points = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map(l => l.split(' ')[4])
    .filter((p): p is string => !!p)
    .map(unescapeMountPath)
    .filter(p => roots.some(r => p === r || p.startsWith(r + '/')))
  return [...new Set(points)].sort((a, b) => b.length - a.length)
}

export async function unmountUnder(dirs: string[]): Promise<void> {
  for (const p of mountsUnder(dirs)) {
    const r = await run('umount', [p], { allowFail: true })
    if (r.status !== 0) await run('umount', ['-l', p], { allowFail: true })
  }
}
