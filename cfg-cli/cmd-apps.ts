// login, apply, get/ls, delete, scale, import: commands about manifests.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { Option, type Command } from 'commander'
import {
  formatDuration, parseDuration, TOKEN_NAME_MAX, type ApiAppSummary, type ApiManifestView, type ApiScaleRequest, type ApiSession, type ApiToken, type ApiTokenRequest,
} from '../schemas/index.js'
import { assertNames, BuilderClient, parseRef } from './api-client.js'
import { loadCredentials, saveCredentials } from './credentials.js'
import { readManifestFiles } from './manifest-files.js'
import { importCompose } from './compose-import.js'
import { makeOutput, table } from './output.js'
import { ApiError, UsageError } from './errors.js'
import { assertRolledOut, DEFAULT_WAIT_TIMEOUT_MS, followRollouts } from './apply-wait.js'
import { describe, type FollowState } from './rollout-follow.js'
import { rolloutProgress } from './rollout-progress.js'

interface Globals { json?: boolean }

/** One applied (or refused) document; with --wait, how its rollout ended. */
interface ApplyResult {
  app: string
  name: string
  result: string
  /** The manifest's revision after the put: what --wait follows. */
  revision?: number
  errors?: unknown
  rollout?: { state: FollowState; description: string; done: number; total: number; reason?: string }
}
const g = (cmd: Command) => cmd.optsWithGlobals<Globals>()

export function client(): BuilderClient {
  const c = loadCredentials()
  return new BuilderClient(c.url, { token: c.token }, c.ca)
}

/** A field of a stored manifest, for display: the document is stored as sent (null when it does not read as one). */
const field = (m: ApiManifestView, key: string): unknown => m.manifest?.[key]

export function registerApps(program: Command): void {
  program.command('login')
    .description('log in to a builder and store an API token for the other commands')
    .requiredOption('--url <url>', 'the builder, e.g. http://10.213.0.1:8080')
    .option('--user <name>', 'user name', 'root')
    .option('--password-file <file>', 'read the password from this file (e.g. the generated root password)')
    .option('--password-stdin', 'read the password from stdin')
    .option('--token <token>', 'store this API token instead of logging in with a password')
    .addOption(new Option('--ca <file>', 'the cluster CA (PEM) that signed an https builder\'s certificate; remembered with the credentials').env('DOKKAA_CA'))
    .addHelpText('after', `
Examples:
  dokkaacfg login --url http://10.213.0.1:8080 --password-file /var/lib/dokkaa-cfg/dokkaa/builder/generated_password.txt
  echo "$PW" | dokkaacfg login --url http://builder:8080 --user alice --password-stdin
  dokkaacfg login --url http://builder:8080 --token dk_...
  dokkaacfg login --url https://10.0.0.2:8080 --ca /etc/dokkaa/pki/ca.crt --password-file <file>`)
    .action(async (o: { url: string; user: string; passwordFile?: string; passwordStdin?: boolean; token?: string; ca?: string }, cmd: Command) => {
      // Remembered as an absolute path: later commands may run from another directory.
      const ca = o.ca?.trim() ? resolve(o.ca.trim()) : undefined
      let token = o.token
      if (!token) {
        const password = o.passwordFile ? readFileSync(o.passwordFile, 'utf8').trim()
          : o.passwordStdin ? readFileSync(0, 'utf8').trim() : undefined
        if (!password) throw new UsageError('give --password-file, --password-stdin or --token')
        const basic = new BuilderClient(o.url, { basic: { user: o.user, password } }, ca)
        const request: ApiTokenRequest = { name: `dokkaacfg@${hostname()}`.slice(0, TOKEN_NAME_MAX) }
        token = (await basic.json<Required<ApiToken>>('POST', '/api/v1/tokens', request)).token
      }
      const who = await new BuilderClient(o.url, { token }, ca).json<ApiSession>('GET', '/api/v1/session')
      if (!who.authenticated) throw new ApiError('the builder did not accept the token')
      const path = saveCredentials({ url: o.url, token, user: who.user, ...(ca ? { ca } : {}) })
      makeOutput(!!g(cmd).json).result({ url: o.url, user: who.user, credentials: path, ...(ca ? { ca } : {}) }, () => [`logged in to ${o.url} as ${who.user}; token stored in ${path}`])
    })

  program.command('apply')
    .description('create or replace manifests from files or directories (.json, .yaml, .yml)')
    .requiredOption('-f, --file <path...>', 'files or directories')
    .option('--app <app>', 'app of bare manifests (their name is the file name)')
    .option('--wait', 'then follow each rollout until it ends: exit 0 once every revision applied runs, 8 if one is rolled back or paused, 9 on timeout')
    .option('--timeout <duration>', `give up waiting after this long, e.g. 90s, 5m (implies --wait; default ${formatDuration(DEFAULT_WAIT_TIMEOUT_MS)})`)
    .addHelpText('after', `
Examples:
  dokkaacfg apply -f nginx.json --app dummy          -> dummy/nginx
  dokkaacfg apply -f manifests/                      every file; {"app","name","manifest"} documents
  dokkaacfg apply -f web.json --app shop --wait --timeout 5m
  dokkaacfg import docker-compose.yml -o m/ && dokkaacfg apply -f m/`)
    .action(async (o: { file: string[]; app?: string; wait?: boolean; timeout?: string }, cmd: Command) => {
      if (o.app !== undefined) assertNames(o.app, undefined, '--app: ')
      const timeoutMs = o.timeout === undefined ? DEFAULT_WAIT_TIMEOUT_MS : parseDuration(o.timeout)
      if (timeoutMs === undefined) throw new UsageError(`--timeout: "${o.timeout}" is not a duration`, 'for example 90s, 5m or 1h30m')
      const wait = !!o.wait || o.timeout !== undefined
      const docs = readManifestFiles(o.file, o.app)
      // Every name first: nothing is applied when one of them would be refused.
      for (const d of docs) assertNames(d.app, d.name, `${d.source}: `)
      const api = client()
      const out = makeOutput(!!g(cmd).json)
      const results: ApplyResult[] = []
      for (const d of docs) {
        try {
          const v = await api.json<ApiManifestView>('PUT', `/api/v1/apps/${d.app}/${d.name}/manifest`, d.manifest)
          results.push({ app: d.app, name: d.name, result: 'applied', revision: v.revision })
        } catch (e) {
          if (!(e instanceof ApiError)) throw e
          results.push({ app: d.app, name: d.name, result: e.details ? 'refused: invalid manifest' : `refused: ${e.message}`, errors: e.details })
        }
      }
      const human = () => results.flatMap(r => [
        `${r.app}/${r.name}: ${r.result}`,
        ...(Array.isArray(r.errors) ? (r.errors as { path: string; message: string }[]).map(e => `  ${e.path || '/'}: ${e.message}`) : []),
      ])
      if (results.some(r => r.result !== 'applied')) process.exitCode = 5
      const targets = results.flatMap(r => (r.revision === undefined ? [] : [{ app: r.app, name: r.name, revision: r.revision }]))
      if (!wait || targets.length === 0) return out.result(results, human)
      // What was applied is said before the wait; with --json, one document once it is over.
      if (!out.json) out.result(results, human)
      const followed = await followRollouts(api, targets, { timeoutMs, progress: rolloutProgress() })
      for (const r of results) {
        const f = followed.find(x => x.ref === `${r.app}/${r.name}`)
        if (f) r.rollout = { state: f.state, description: describe(f), done: f.done, total: f.total, ...(f.reason ? { reason: f.reason } : {}) }
      }
      if (out.json) out.result(results, human)
      assertRolledOut(followed, timeoutMs)
    })

  program.command('get').alias('ls')
    .description('list manifests with their phase and running count')
    .argument('[app]', 'only this app')
    .addHelpText('after', `
Examples:
  dokkaacfg ls
  dokkaacfg get dummy --json`)
    .action(async (app: string | undefined, _o: unknown, cmd: Command) => {
      if (app !== undefined) assertNames(app)
      const apps = await client().json<ApiAppSummary[] | ApiAppSummary>('GET', app ? `/api/v1/apps/${encodeURIComponent(app)}` : '/api/v1/apps').then(a => (Array.isArray(a) ? a : [a]))
      const rows = apps.flatMap(a => a.manifests.map(m => [
        `${m.app}/${m.name}`, String(field(m, 'image') ?? ''), String(field(m, 'scale') ?? 1), m.status?.phase ?? 'Pending', `${m.status?.running ?? 0}/${m.status?.desired ?? field(m, 'scale') ?? 1}`,
      ]))
      // Below the table, what the scheduler says is wrong or worth knowing (a volume's host
      // down, an instance recreated with empty volumes, an image being pulled): too long for a column.
      const said = apps.flatMap(a => a.manifests.flatMap(m => [
        ...(m.status?.problems ?? []).map(p => `${m.app}/${m.name}: ${p}`),
        ...(m.status?.warnings ?? []).map(w => `${m.app}/${m.name}: warning: ${w}`),
        ...(m.status?.pulling ?? []).map(p => `${m.app}/${m.name}: ${p}`),
      ]))
      makeOutput(!!g(cmd).json).result(apps, () => (rows.length ? [...table(['MANIFEST', 'IMAGE', 'SCALE', 'PHASE', 'RUNNING'], rows), ...(said.length ? ['', ...said] : [])] : ['no manifests']))
    })

  program.command('delete')
    .description('delete manifests; the conductors remove their containers')
    .argument('<ref...>', 'app/name')
    .addHelpText('after', '\nExamples:\n  dokkaacfg delete dummy/nginx dummy/crawler')
    .action(async (refs: string[], _o: unknown, cmd: Command) => {
      const api = client()
      const parsed = refs.map(r => parseRef(r, { index: 'forbidden' }))
      for (const r of parsed) await api.json('DELETE', `/api/v1/apps/${r.app}/${r.name}`)
      makeOutput(!!g(cmd).json).result({ deleted: refs }, () => refs.map(r => `${r}: deleted`))
    })

  program.command('scale')
    .description('set how many instances a manifest runs')
    .argument('<ref>', 'app/name')
    .argument('<n>', 'instances (or +N / -N to change by)')
    .addHelpText('after', '\nExamples:\n  dokkaacfg scale dummy/nginx 3\n  dokkaacfg scale dummy/nginx -- -1')
    .action(async (ref: string, n: string, _o: unknown, cmd: Command) => {
      const r = parseRef(ref, { index: 'forbidden' })
      const m = n.match(/^([+-]?)(\d+)$/)
      if (!m) throw new UsageError(`"${n}" is not a number of instances`)
      const body: ApiScaleRequest = m[1] ? { delta: Number(`${m[1]}${m[2]}`) } : { scale: Number(m[2]) }
      const v = await client().json<ApiManifestView>('POST', `/api/v1/apps/${r.app}/${r.name}/scale`, body)
      makeOutput(!!g(cmd).json).result(v, () => [`${ref}: scale ${String(field(v, 'scale'))}`])
    })

  program.command('import')
    .description('turn a docker-compose.yml into Dokkaa manifests (printed, written to a directory, or applied)')
    .argument('<compose-file>')
    .option('--app <app>', 'app name (default: the Compose project name, or "default")')
    .option('-o, --out <dir>', 'write one <name>.json per service here, ready for `apply -f`')
    .option('--apply', 'apply them to the cluster right away')
    .addHelpText('after', `
Examples:
  dokkaacfg import docker-compose.yml                 print the manifests
  dokkaacfg import docker-compose.yml --app shop -o manifests/
  dokkaacfg import docker-compose.yml --apply`)
    .action(async (file: string, o: { app?: string; out?: string; apply?: boolean }, cmd: Command) => {
      let text: string
      try { text = readFileSync(file, 'utf8') } catch { throw new UsageError(`${file}: cannot read it`) }
      if (o.app !== undefined) assertNames(o.app, undefined, '--app: ')
      const r = importCompose(text, { app: o.app ?? undefined, fileName: basename(file) })
      for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`)
      if (r.errors.length) {
        for (const e of r.errors) for (const x of e.errors) process.stderr.write(`error: ${e.name}${x.path}: ${x.message}\n`)
        throw new UsageError(`${r.errors.length} service(s) would not make valid manifests; nothing written`)
      }
      const written: string[] = []
      if (o.out) {
        mkdirSync(o.out, { recursive: true })
        for (const m of r.manifests) {
          const p = join(o.out, `${m.name}.json`)
          writeFileSync(p, JSON.stringify(m, null, 2) + '\n')
          written.push(resolve(p))
        }
      }
      if (o.apply) for (const m of r.manifests) await client().json('PUT', `/api/v1/apps/${m.app}/${m.name}/manifest`, m.manifest)
      makeOutput(!!g(cmd).json).result({ ...r, written, applied: !!o.apply }, () => [
        ...(o.out ? written.map(p => `wrote ${p}`) : o.apply ? [] : [JSON.stringify(r.manifests, null, 2)]),
        ...(o.apply ? r.manifests.map(m => `${m.app}/${m.name}: applied`) : []),
        ...(o.out && !o.apply ? [`apply them with: dokkaacfg apply -f ${o.out}`] : []),
      ])
    })
}
