// The web console: static ES modules and CSS from builder/public, no build step. The file
// list is read once at start, so a request can only ever name one of those files.
import { readdir, readFile } from 'node:fs/promises'
import { extname, join, relative } from 'node:path'
import type { FastifyPluginAsync } from 'fastify'
import { NotFoundError } from '../errors.js'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const d of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, d.name)
    if (d.isDirectory()) out.push(...await walk(p))
    else if (TYPES[extname(d.name)]) out.push(p)
  }
  return out
}

export const consoleRoutes: FastifyPluginAsync<{ publicDir: string }> = async (app, { publicDir }) => {
  const files = new Map<string, string>()
  for (const p of await walk(publicDir)) files.set(relative(publicDir, p).split('\\').join('/'), p)
  const fileSchema = { params: { type: 'object', properties: { '*': { type: 'string', maxLength: 256 } } }, hide: true }

  async function send(rel: string, reply: import('fastify').FastifyReply) {
    const p = files.get(rel)
    if (!p) throw new NotFoundError(`no console file ${rel}`)
    reply.type(TYPES[extname(p)] ?? 'application/octet-stream')
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
    return readFile(p)
  }

  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/console/'))
  app.get('/favicon.ico', { schema: { hide: true } }, async (_req, reply) => send('favicon.svg', reply.type('image/svg+xml')))
  app.get('/console/', { schema: { hide: true } }, async (_req, reply) => send('index.html', reply))
  app.get('/console/*', { schema: fileSchema }, async (request, reply) =>
    send((request.params as { '*': string })['*'], reply))
}
