import t from 'tap'
import { parse } from 'yaml'
import { DEFAULT_NODE_URL, renderCloudInit, renderTemplate } from './cloud-init.js'

const vars = {
  etcd: 'http://10.0.0.2:2379', prefix: '', host_id: 'demo-h1', host_address: '__PRIVATE_IP__', labels: 'region=ams3',
  lease_ttl: '5', dns_upstream: '67.207.67.2', node_url: DEFAULT_NODE_URL, dokkaa_package: 'dokkaa@0.1.0',
  etcd_enable: 'systemctl enable --now dokkaa-etcd', builder_enable: 'systemctl enable --now dokkaa-builder',
}

t.test('the rendered user-data is valid cloud-config carrying the systemd units', async t => {
  const text = renderCloudInit(vars)
  t.ok(text.startsWith('#cloud-config\n'))
  t.notMatch(text, /\{\{/, 'every placeholder is filled')
  const doc = parse(text) as { packages: string[]; write_files: { path: string; content: string }[]; runcmd: unknown[] }
  t.ok(doc.packages.includes('docker.io'))
  const files = Object.fromEntries(doc.write_files.map(f => [f.path, f.content]))
  t.match(files['/etc/dokkaa/env'], /^DOKKAA_ETCD=http:\/\/10\.0\.0\.2:2379$/m)
  t.match(files['/etc/dokkaa/env'], /^DOKKAA_HOST_ID=demo-h1$/m)
  t.match(files['/etc/systemd/system/dokkaa-conductor.service'], /EnvironmentFile=\/etc\/dokkaa\/env\n/)
  t.match(files['/etc/systemd/system/dokkaa-conductor.service'], /--host-id \$\{DOKKAA_HOST_ID\}/)
  t.match(files['/etc/systemd/system/dokkaa-etcd.service'], /ExecStart=\/usr\/bin\/etcd\n/)
  t.ok(doc.runcmd.some(c => JSON.stringify(c).includes('systemctl enable --now dokkaa-etcd')))
})

t.test('a missing or unsafe value is refused', async t => {
  t.throws(() => renderTemplate('{{x}}', {}, () => ''), { message: /needs a value for \{\{x\}\}/ })
  t.throws(() => renderTemplate('{{x}}', { x: "a'b" }, () => ''), { message: /may not contain/ })
})
