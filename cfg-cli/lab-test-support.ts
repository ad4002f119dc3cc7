// Helpers for tests that build labs: a fresh name and an unused subnet per run, so
// concurrent runs (and a real `dokkaacfg up`) never collide.
import { randomBytes } from 'node:crypto'
import { run } from './run-command.js'
import { overlaps } from './lab-plan.js'

export function randomLabName(prefix = 'dkt'): string {
  return prefix + randomBytes(3).toString('hex')
}

/** A /24 under 10.213.0.0/16 (third octet 100..249) that no route on this machine covers. */
export async function freeSubnet(): Promise<string> {
  const routes = (await run('ip', ['-4', 'route', 'show', 'table', 'all'])).stdout.split('\n')
    .map(l => l.match(/(\d+\.\d+\.\d+\.\d+(?:\/\d+)?)/)?.[1] ?? '')
  for (let tries = 0; tries < 200; tries++) {
    const cidr = `10.213.${100 + Math.floor(Math.random() * 150)}.0/24`
    if (!overlaps(cidr, routes.filter(Boolean))) return cidr
  }
  throw new Error('no free /24 in 10.213.100.0-10.213.249.0')
}

export function canRunLabs(): string | false {
  if (process.getuid?.() !== 0) return 'needs root'
  return false
}
