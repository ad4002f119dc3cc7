import t from 'tap'
import { composeMemory, dnsName, importCompose, parsePorts } from './compose-import.js'
import { UsageError } from './errors.js'
import { isName } from '../schemas/index.js'

const compose = `
name: Shop
services:
  web:
    image: nginx:1.25
    ports: ["8080:80", "443/tcp"]
    depends_on: [api, cache]
    restart: unless-stopped
    environment:
      MODE: prod
      FROM_SHELL:
  api:
    image: registry.local/shop/api:2
    command: ["node", "server.js"]
    entrypoint: /usr/bin/tini
    ports:
      - target: 3000
        published: 3000
    environment: ["DB_HOST=db", "DEBUG"]
    deploy:
      replicas: 3
      resources: { limits: { memory: 1.5GB, cpus: "0.5" } }
    links: ["db:database"]
    volumes: ["./data:/data"]
    user: "1000"
    extra_hosts: ["gw:10.0.0.1"]
  db:
    image: postgres:16
    ports: ["5432"]
    mem_limit: 512m
    hostname: DB_Main
  cache:
    image: redis
  worker:
    build: ./worker
`

t.test('a Compose file becomes one manifest per service', async t => {
  const r = importCompose(compose)
  t.equal(r.app, 'shop', 'the project name becomes the app')
  t.same(r.manifests.map(m => m.name), ['web', 'api', 'db', 'cache'])
  const by = Object.fromEntries(r.manifests.map(m => [m.name, m.manifest]))
  t.same(by.web, {
    image: 'nginx:1.25',
    services: { web: 80, 'web-443': 443 },
    env: { MODE: 'prod' },
    links: ['api'],
    restart: 'always',
  })
  t.same(by.api, {
    image: 'registry.local/shop/api:2',
    scale: 3,
    services: { api: 3000 },
    env: { DB_HOST: 'db' },
    command: ['node', 'server.js'],
    links: ['db'],
    resources: { memory: '1.5g', cpus: 0.5 },
    extraHosts: ['gw:10.0.0.1'],
    dockerflags: { Entrypoint: '/usr/bin/tini', User: '1000' },
  })
  t.same(by.db, { image: 'postgres:16', services: { db: 5432 }, resources: { memory: '512m' }, hostname: 'db-main' })
  t.same(r.errors, [], 'every manifest validates against the schema')
})

t.test('what is dropped is said, per service and field', async t => {
  const w = importCompose(compose).warnings.join('\n')
  t.match(w, /web\.ports: host port 8080 for 80 dropped/)
  t.match(w, /web\.environment: "FROM_SHELL" has no value/)
  t.match(w, /web: depends on "cache", which has no ports to link to/)
  t.match(w, /api\.environment: "DEBUG" has no value/)
  t.match(w, /api\.volumes: dropped; host mounts are not allowed/)
  t.match(w, /worker: no image \(it is built from source/)
})

t.test('--app overrides the project name; names become DNS labels', async t => {
  const r = importCompose('services:\n  My_Svc:\n    image: x\n', { app: 'Team A' })
  t.equal(r.app, 'team-a')
  t.equal(r.manifests[0]!.name, 'my-svc')
  t.equal(dnsName('---'), 'x')
})

t.test('invalid results are reported, not hidden', async t => {
  const r = importCompose('services:\n  a:\n    image: "bad image"\n')
  t.equal(r.errors.length, 1)
  t.equal(r.errors[0]!.name, 'a')
})

t.test('ports in every Compose syntax', async t => {
  t.same(parsePorts(['80', '8080:80', '127.0.0.1:53:53/udp', '3000-3001', { target: 9, protocol: 'udp' }, 'x:y']), {
    ports: [
      { target: 80, published: undefined, protocol: 'tcp' },
      { target: 80, published: '8080', protocol: 'tcp' },
      { target: 53, published: '53', protocol: 'udp' },
      { target: 3000, published: undefined, protocol: 'tcp' },
      { target: 3001, published: undefined, protocol: 'tcp' },
      { target: 9, published: undefined, protocol: 'udp' },
    ],
    bad: ['x:y'],
  })
  t.equal(composeMemory('1GB'), '1g')
  t.equal(composeMemory('1048576'), '1048576')
  t.equal(composeMemory('lots'), undefined)
})

t.test('not a Compose file: a usage error that says so', async t => {
  t.throws(() => importCompose('just: text'), UsageError)
  t.throws(() => importCompose('services: [oops'), UsageError)
})

t.test('names made from Compose names never hold "--"', async t => {
  t.equal(dnsName('a--b'), 'a-b')
  t.equal(dnsName('My__Service.1'), 'my-service-1')
  t.equal(dnsName('-x-'), 'x')
  for (const s of ['a--b', '__', 'A-_-B', 'x'.repeat(100), '--', 'ü']) t.ok(isName(dnsName(s)), s)
})
