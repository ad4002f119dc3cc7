// The lab's bridge on the host, and the one host firewall rule it needs: with
// br_netfilter loaded, frames between two ports of a bridge traverse the host's
// FORWARD chain, whose policy Docker sets to DROP. The rule accepts only
// bridge-to-bridge traffic, so namespace hosts reach each other and the host but
// nothing beyond (there is no NAT to the outside on purpose).
import { run } from './run-command.js'
import type { BridgePlan } from './lab-plan.js'

export interface BridgeRecord extends BridgePlan {
  /** The exact iptables arguments (after -I/-D FORWARD) of the rule we added, if any. */
  forwardRule?: string[]
}

export function forwardRuleFor(bridge: string): string[] {
  return ['-i', bridge, '-o', bridge, '-m', 'comment', '--comment', `dokkaa-cfg ${bridge}`, '-j', 'ACCEPT']
}

export async function linkExists(name: string, netns?: string): Promise<boolean> {
  const args = netns ? ['-n', netns, 'link', 'show', name] : ['link', 'show', name]
  return (await run('ip', args, { allowFail: true })).status === 0
}

/** Creates the bridge (or adopts one we made before) and the FORWARD rule. Idempotent. */
export async function createBridge(plan: BridgePlan): Promise<BridgeRecord> {
  if (!(await linkExists(plan.name))) {
    await run('ip', ['link', 'add', plan.name, 'type', 'bridge'])
  }
  const addrs = (await run('ip', ['-o', '-4', 'addr', 'show', 'dev', plan.name])).stdout
  if (!addrs.includes(` ${plan.address}/${plan.prefixLength} `)) {
    await run('ip', ['addr', 'add', `${plan.address}/${plan.prefixLength}`, 'dev', plan.name])
  }
  await run('ip', ['link', 'set', plan.name, 'up'])
  const rule = forwardRuleFor(plan.name)
  if ((await run('iptables', ['-C', 'FORWARD', ...rule], { allowFail: true })).status !== 0) {
    await run('iptables', ['-I', 'FORWARD', '1', ...rule])
  }
  return { ...plan, forwardRule: rule }
}

/** Removes the rule and the bridge. Safe to call twice. */
export async function removeBridge(rec: BridgeRecord): Promise<void> {
  if (rec.forwardRule) {
    // A rule added twice (by a crashed earlier run) is deleted until none is left.
    for (let i = 0; i < 10; i++) {
      if ((await run('iptables', ['-D', 'FORWARD', ...rec.forwardRule], { allowFail: true })).status !== 0) break
    }
  }
  if (await linkExists(rec.name)) await run('ip', ['link', 'del', rec.name])
}
