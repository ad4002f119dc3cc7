// An open text stream (a followed log, an event stream) read until what arrived says enough:
// the stream itself never ends by itself, so the test decides when to stop reading.

/** Reads `body` until `until` holds for the text so far (or the stream ends); returns that text. */
export async function readUntil(body: ReadableStream<Uint8Array>, until: (text: string) => boolean): Promise<string> {
  const reader = body.getReader()
  let text = ''
  while (!until(text)) {
    const chunk = await reader.read()
    if (chunk.done) break
    text += Buffer.from(chunk.value).toString()
  }
  reader.releaseLock()
  return text
}
