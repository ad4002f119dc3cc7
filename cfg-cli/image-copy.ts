// Copies an image from one engine to another, like `docker save | docker load`,
// so namespace hosts get test images without any registry.
import type Docker from 'dockerode'

export async function copyImage(from: Docker, to: Docker, ref: string): Promise<void> {
  const tar = await from.getImage(ref).get()
  const res = await to.loadImage(tar as NodeJS.ReadableStream, { quiet: true })
  // The load is done when its progress stream ends; an error arrives inside it.
  const body = await new Promise<string>((resolve, reject) => {
    let s = ''
    res.on('data', (c: Buffer) => { s += c.toString() })
    res.on('end', () => resolve(s))
    res.on('error', reject)
  })
  const err = body.split('\n').filter(Boolean).map(l => { try { return JSON.parse(l) as { error?: string } } catch { return {} } }).find(m => m.error)
  if (err?.error) throw new Error(`loading ${ref}: ${err.error}`)
}
