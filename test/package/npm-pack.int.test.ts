// The package as the DigitalOcean cloud-init installs it: `npm pack` the checkout (its
// dist/ built by .ci/run or `npm run build`; prepack builds when packing by hand),
// `npm install -g` the tarball into a temporary prefix — offline, from npm's cache,
// so the test reaches no registry — and run every bin's --help. Dependencies are
// bundled in the tarball: a new host needs no registry for Dokkaa's own packages.
import t from 'tap'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const exec = promisify(execFile)
const root = join(import.meta.dirname, '..', '..')

t.test('npm pack → npm install -g of the tarball → the bins run', { timeout: 240_000 }, async t => {
  t.ok(existsSync(join(root, 'dist/conductor/main.js')), 'dist/ is built (npm run build)')
  const dir = mkdtempSync(join(tmpdir(), 'dokkaa-pack-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const packed = await exec('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: root, maxBuffer: 64 * 1024 * 1024 })
  const info = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[]
  // Our own files: dependencies are bundled (node_modules/…), so a host installs offline.
  const files = info[0]!.files.map(f => f.path).filter(f => !f.startsWith('node_modules/'))
  t.notOk(files.some(f => /\.test\.js$|\.test\.ts$/.test(f)), 'no test in the package')
  t.notOk(files.some(f => f.startsWith('dist/test/') || f.startsWith('dist/bench/')), 'no test support or bench in the package')
  t.ok(files.includes('dist/builder/public/index.html'), 'the console is in the package')
  t.ok(files.includes('deploy/install.sh'), 'deploy/ is in the package')

  const prefix = join(dir, 'prefix')
  await exec('npm', ['install', '-g', '--offline', '--no-audit', '--no-fund', '--prefix', prefix, join(dir, info[0]!.filename)], { timeout: 180_000 })
  const bins = readdirSync(join(prefix, 'bin')).sort()
  t.same(bins, ['dokkaa-ambassador', 'dokkaa-builder', 'dokkaa-conductor', 'dokkaacfg'], 'every bin is installed')
  for (const bin of bins) {
    const r = await exec(join(prefix, 'bin', bin), ['--help'], { timeout: 30_000 })
    t.match(r.stdout, /Usage|usage/, `${bin} --help prints its usage`)
  }
})
