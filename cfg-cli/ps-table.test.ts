import t from 'tap'
import { imageLabel, psLines, type PsRow } from './ps-table.js'

const hex = '0123456789abcdef'.repeat(4)

t.test('IMAGE: the registry digest, else the local id, else -', async t => {
  t.equal(imageLabel({ imageDigest: `sha256:${hex}`, imageId: `sha256:${'f'.repeat(64)}` }), 'sha256:0123456789ab')
  t.equal(imageLabel({ imageId: `sha256:${hex}` }), 'id:0123456789ab')
  t.equal(imageLabel({}), '-')
  t.equal(imageLabel({ imageDigest: 'sha256:xyz', imageId: 'nope' }), '-', 'what is not a digest shows as nothing')
})

t.test('ps lines: the IMAGE column, then failed checks and pulls below the table', async t => {
  const row = (index: number, extra: Partial<PsRow>): PsRow => ({
    app: 'shop', name: 'web', index, host: 'h1', hostAddress: '10.0.0.1', containerId: 'c', containerName: 'n', state: 'running', specHash: 's', ports: { web: 20000 + index }, restarts: 0, updatedAt: 'u', ...extra,
  })
  const lines = psLines([
    row(0, { imageDigest: `sha256:${hex}` }),
    row(1, { state: 'pulling', pullProgress: '2 of 5 layers, 12.0 of 40.1 MB', ports: {} }),
    row(2, { imageId: `sha256:${hex}`, health: 'unhealthy', healthError: 'GET /healthz: 503' }),
  ])
  t.match(lines[0], /^INSTANCE\s+HOST\s+STATE\s+HEALTH\s+PORTS\s+RESTARTS\s+IMAGE$/)
  t.same(lines.slice(1, 4).map(l => l.split(/\s+/)), [
    ['shop/web/0', 'h1', 'running', '-', 'web=10.0.0.1:20000', '0', 'sha256:0123456789ab'],
    ['shop/web/1', 'h1', 'pulling', '-', '-', '0', '-'],
    ['shop/web/2', 'h1', 'running', 'unhealthy', 'web=10.0.0.1:20002', '0', 'id:0123456789ab'],
  ])
  t.same(lines.slice(4), ['', 'shop/web/2: last failed check: GET /healthz: 503', 'shop/web/1: pulling: 2 of 5 layers, 12.0 of 40.1 MB'])
})
