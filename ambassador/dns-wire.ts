// Just enough DNS wire format for the server's fast path: find the question of a
// query without a full parse, and stamp a cached answer with the query's id and RD
// bit. Pure.

/** Byte offset just past the single question of a standard query, or undefined. */
export function questionEnd(msg: Buffer): number | undefined {
  if (msg.length < 17) return undefined
  const flags = msg.readUInt16BE(2)
  if (flags & 0x8000) return undefined // a response, not a query
  if ((flags >> 11) & 0xf) return undefined // opcode other than QUERY
  if (msg.readUInt16BE(4) !== 1) return undefined
  let i = 12
  for (;;) {
    if (i >= msg.length) return undefined
    const len = msg[i]!
    if (len === 0) { i += 1; break }
    if (len & 0xc0) return undefined // no compression in a question
    i += 1 + len
  }
  return i + 4 <= msg.length ? i + 4 : undefined
}

/** A copy of `cached` (an answer whose question matches) carrying the query's id and RD flag. */
export function stampAnswer(cached: Buffer, query: Buffer): Buffer {
  const out = Buffer.from(cached)
  out[0] = query[0]!
  out[1] = query[1]!
  out[2] = (out[2]! & 0xfe) | (query[2]! & 0x01)
  return out
}
