/**
 * Reads WebSocket frame headers off the raw client byte stream, to enforce the
 * per-frame rules `ws` cannot: its maxPayload only bounds whole messages, but
 * API Gateway also closes a connection for a single frame over 32 KB, and
 * rejects binary frames as soon as they start.
 *
 * Only headers are parsed; payload bytes are skipped (and left to `ws`).
 */
export interface FrameViolation {
  code: 1003 | 1009;
  reason: string;
}

export interface FrameRules {
  maxFrameBytes: number;
  maxMessageBytes: number;
}

const OPCODE_CONTINUATION = 0x0;
const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;

/** Returns a function to feed every chunk read from the socket, in order. */
export function createFrameInspector(rules: FrameRules, onViolation: (violation: FrameViolation) => void): (chunk: Buffer) => void {
  let header = Buffer.alloc(0);
  let payloadLeft = 0;
  let messageBytes = 0;
  let stopped = false;

  const headerLength = (bytes: Buffer) => {
    if (bytes.length < 2) return 2;
    const length7 = bytes[1]! & 0x7f;
    const extended = length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
    const mask = bytes[1]! & 0x80 ? 4 : 0;
    return 2 + extended + mask;
  };

  const violate = (violation: FrameViolation) => {
    stopped = true;
    onViolation(violation);
  };

  const onHeader = (bytes: Buffer) => {
    const fin = (bytes[0]! & 0x80) !== 0;
    const opcode = bytes[0]! & 0x0f;
    const length7 = bytes[1]! & 0x7f;
    const length = length7 === 126 ? bytes.readUInt16BE(2) : length7 === 127 ? Number(bytes.readBigUInt64BE(2)) : length7;
    payloadLeft = length;
    if (opcode === OPCODE_BINARY) return violate({ code: 1003, reason: "Binary frames are not supported" });
    if (opcode !== OPCODE_TEXT && opcode !== OPCODE_CONTINUATION) return; // control frames
    if (length > rules.maxFrameBytes) return violate({ code: 1009, reason: "Message too big" });
    messageBytes += length;
    if (messageBytes > rules.maxMessageBytes) return violate({ code: 1009, reason: "Message too big" });
    if (fin) messageBytes = 0;
  };

  return (chunk) => {
    let offset = 0;
    while (!stopped && offset < chunk.length) {
      if (payloadLeft > 0) {
        const skipped = Math.min(payloadLeft, chunk.length - offset);
        payloadLeft -= skipped;
        offset += skipped;
        continue;
      }
      // Headers can be split across chunks: gather byte by byte until complete.
      const wanted = headerLength(header);
      const take = Math.min(wanted - header.length, chunk.length - offset);
      header = Buffer.concat([header, chunk.subarray(offset, offset + take)]);
      offset += take;
      if (header.length === headerLength(header)) {
        const complete = header;
        header = Buffer.alloc(0);
        onHeader(complete);
      }
    }
  };
}
