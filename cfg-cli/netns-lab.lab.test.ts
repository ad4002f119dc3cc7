// Two namespace hosts, each with its own dockerd: a container published on host B is
// reached from host A's namespace over the lab bridge, and teardown leaves the
// machine as it was.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NetnsLab } from './netns-lab.js'
import { findLeftovers } from './lab-leftovers.js'
import { allowLabTeardown, canRunLabs, freeSubnet, installedDokkaa, installedDokkaaUntouched, randomLabName, testRunDir } from './lab-test-support.js'
import { waitUntil } from './processes.js'

const skip = canRunLabs()
const installed = installedDokkaa()
const TEST_MS = 180_000
allowLabTeardown(t, TEST_MS)

t.test('two namespace hosts reach each other\'s published ports; teardown leaves nothing', { skip, timeout: TEST_MS }, async t => {
  const name = randomLabName()
  const subnet = await freeSubnet()
  const base = mkdtempSync(join(tmpdir(), 'dokkaa-lab-'))
  const dataDir = join(base, 'data')
  const runDir = testRunDir(name)
  // Defined (nothing made yet) so the teardown exists before the bridge does.
  const lab = NetnsLab.define({ name, subnet, dataDir, runDir })
  t.teardown(async () => {
    try { await lab.destroy() } finally { rmSync(base, { recursive: true, force: true }) }
  })

  await lab.ensureBridge()
  const [a, b] = await Promise.all([lab.addHost(1), lab.addHost(2)])
  t.not(a.address, b.address, 'each host has its own address')
  t.not(a.dockerd?.socketPath, b.dockerd?.socketPath, 'and its own engine')

  const infoA = await lab.docker(1).info() as { ID: string; DockerRootDir: string }
  t.equal(infoA.DockerRootDir, a.dockerd?.dataRoot, 'the engine keeps its data under the lab')

  await lab.copyImage('dokkaa/busybox:test')
  const c = await lab.docker(2).createContainer({
    Image: 'dokkaa/busybox:test',
    HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '8080' }] } },
  })
  await c.start()

  let body = ''
  const reached = await waitUntil(async () => {
    body = await lab.httpGet(1, `http://${b.address}:8080/`)
    return true
  }, 30_000, 300)
  t.ok(reached, 'host A reaches host B\'s published port')
  t.match(body, /hello from dokkaa/)

  const natB = (await lab.exec(2, 'iptables-save', ['-t', 'nat'])).stdout
  t.match(natB, /--dport 8080 -j DNAT/, 'port publishing rules live in host B\'s namespace')
  const leftBefore = await findLeftovers(name, subnet, [dataDir, runDir])
  t.notSame(leftBefore.iptables, [], 'the bridge rule is on the host while the lab runs')
  t.notMatch(leftBefore.iptables.join('\n'), /DNAT/, 'no engine rule leaks into the host tables')

  await lab.destroy()
  const left = await findLeftovers(name, subnet, [dataDir, runDir])
  t.same(left, { netns: [], links: [], iptables: [], mounts: [], processes: [], paths: [] }, 'no leftovers')
})

installedDokkaaUntouched(t, installed)
