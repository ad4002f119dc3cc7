// Docker's multiplexed log format (non-TTY containers): frames of an 8-byte header —
// stream type, 3 zero bytes, big-endian payload length — then the payload. The engine
// driver (dockerode-engine.ts) gets a Buffer of such frames when not following; docker-modem's
// demuxStream handles the streaming case.

/** Concatenates the payloads of every complete frame (stdout and stderr interleaved as they came). */
export function demuxBuffer(buf: Buffer): Buffer {
  const parts: Buffer[] = []
  let at = 0
  while (at + 8 <= buf.length) {
    const kind = buf[at]
    const len = buf.readUInt32BE(at + 4)
    // Not a frame header: the container has a TTY and its output is raw.
    if (kind === undefined || kind > 2 || buf[at + 1] !== 0 || buf[at + 2] !== 0 || buf[at + 3] !== 0) return at === 0 ? buf : Buffer.concat(parts)
    parts.push(buf.subarray(at + 8, Math.min(buf.length, at + 8 + len)))
    at += 8 + len
  }
  return Buffer.concat(parts)
}
