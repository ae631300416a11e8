// The frames of a multiplexed call stream: many unary calls over one long-lived bidirectional gRPC stream instead of
// one HTTP/2 stream each. Two streams speak it: the cluster's internal calls between roles
// (internal/grpc/mux.ts) and `@odin/sdk`'s calls to the frontend (services/frontend/src/grpc-server/mux-stream.ts).
//
// Each frame is one gRPC message of the stream: kind (u8), call id (u32), header length (u32), header (UTF-8 JSON),
// body. What the header holds depends on the stream; the kinds are the same:
//   CALL    client → server  a call's method, deadline and metadata; body = its request message
//   CANCEL  client → server  the caller cancelled, or its deadline passed: the server aborts the call
//   OK      server → client  body = the call's response message
//   ERROR   server → client  the call's status code and message; body = its status details, if any
//   BATCH   either way       several frames in one message (see MUX_BATCH), only to a peer that reads them

export const MUX_CALL = 1;
export const MUX_CANCEL = 2;
export const MUX_OK = 3;
export const MUX_ERROR = 4;
/**
 * Several frames in one gRPC message: id 0, no header, body = each frame as its length (u32) and its bytes. A
 * stream's per-message cost (gRPC framing, the message's trip through grpc-js's filters, node's stream machinery on
 * both sides) is paid once for all the frames a process writes to it in one turn of its event loop. A peer of an
 * older version does not read it, so it is sent only to a peer that said it does (MUX_BATCH_METADATA).
 */
export const MUX_BATCH = 5;

/**
 * The metadata with which a side of a stream says it reads BATCH messages: the client in its request headers, the
 * server in its response headers, as an answer to the client's. Each side sends batches only once the other said so.
 */
export const MUX_BATCH_METADATA = 'odin-mux-batch';

/**
 * The client port's multiplexing method. It is not in Temporal's protos: its messages are raw frames. A server that
 * does not serve it answers UNIMPLEMENTED, and a client then makes plain unary calls.
 */
export const CLIENT_MUX_PATH = '/odin.frontend.v1.CallMux/Calls';

/**
 * The largest request a client sends on the multiplexed stream; a larger one goes as a unary call of its own, so
 * that it neither holds up the stream's other calls nor meets a server limit that would fail the whole stream.
 */
export const MUX_MAX_REQUEST_BYTES = 1024 * 1024;

/** Room for a frame's prefix and JSON header beside the largest body a reader of the stream accepts. */
export const MUX_HEADER_ALLOWANCE = 64 * 1024;

const PREFIX = 9;
/** gRPC's message prefix: compressed flag (u8), length (u32). */
const GRPC_PREFIX = 5;
const EMPTY = Buffer.alloc(0);

export interface MuxFrame {
  readonly kind: number;
  readonly id: number;
  /** The header's bytes (JSON); empty when the frame has none. */
  readonly header: Buffer;
  /** A view of the received bytes: decode it (or copy it) before the stream's next chunk arrives. */
  readonly body: Buffer;
}

/** A frame of `kind`, `id`, `header` and `body` in a new buffer after `before` bytes the caller fills. */
function frameAfter(
  before: number,
  kind: number,
  id: number,
  header: object | undefined,
  body: Uint8Array,
): Buffer {
  const head = header === undefined ? EMPTY : Buffer.from(JSON.stringify(header), 'utf8');
  const out = Buffer.allocUnsafe(before + PREFIX + head.length + body.byteLength);
  out[before] = kind;
  out.writeUInt32BE(id, before + 1);
  out.writeUInt32BE(head.length, before + 5);
  head.copy(out, before + PREFIX);
  out.set(body, before + PREFIX + head.length);
  return out;
}

/** One frame's bytes. `header` is JSON-encoded unless it is undefined (no header). */
export function encodeMuxFrame(
  kind: number,
  id: number,
  header: object | undefined,
  body: Uint8Array,
): Buffer {
  return frameAfter(0, kind, id, header, body);
}

/**
 * One frame as a gRPC message of its stream (the 5-byte message prefix, then the frame), in one buffer: for streams
 * framed by hand rather than by grpc-js.
 */
export function encodeMuxMessage(
  kind: number,
  id: number,
  header: object | undefined,
  body: Uint8Array,
): Buffer {
  const out = frameAfter(GRPC_PREFIX, kind, id, header, body);
  out[0] = 0;
  out.writeUInt32BE(out.length - GRPC_PREFIX, 1);
  return out;
}

/** The frame in a stream message; undefined when the message is too short to be one. */
export function parseMuxFrame(bytes: Buffer): MuxFrame | undefined {
  if (bytes.length < PREFIX) return undefined;
  const headerLength = bytes.readUInt32BE(5);
  if (PREFIX + headerLength > bytes.length) return undefined;
  return {
    kind: bytes[0] ?? 0,
    id: bytes.readUInt32BE(1),
    header: bytes.subarray(PREFIX, PREFIX + headerLength),
    body: bytes.subarray(PREFIX + headerLength),
  };
}

/** A frame's header as an object; {} when it has none. Throws SyntaxError on a header that is not JSON. */
export function muxFrameHeader(frame: MuxFrame): Record<string, unknown> {
  if (frame.header.length === 0) return {};
  const value: unknown = JSON.parse(frame.header.toString('utf8'));
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

const LENGTH = 4;

/**
 * One BATCH frame holding `frames`. `grpcFramed`: the frames are gRPC messages (encodeMuxMessage), and so is the
 * batch; otherwise both are bare frames (encodeMuxFrame).
 */
export function encodeMuxBatch(frames: readonly Uint8Array[], grpcFramed = false): Buffer {
  const skip = grpcFramed ? GRPC_PREFIX : 0;
  let size = skip + PREFIX;
  for (const frame of frames) size += LENGTH + frame.byteLength - skip;
  const out = Buffer.allocUnsafe(size);
  if (grpcFramed) {
    out[0] = 0;
    out.writeUInt32BE(size - GRPC_PREFIX, 1);
  }
  out[skip] = MUX_BATCH;
  out.writeUInt32BE(0, skip + 1);
  out.writeUInt32BE(0, skip + 5);
  let at = skip + PREFIX;
  for (const frame of frames) {
    const bare = frame.subarray(skip);
    out.writeUInt32BE(bare.byteLength, at);
    out.set(bare, at + LENGTH);
    at += LENGTH + bare.byteLength;
  }
  return out;
}

/** The frames a stream message carries (itself, or a BATCH's frames); undefined when it is not readable. */
export function parseMuxFrames(bytes: Buffer): MuxFrame[] | undefined {
  const frame = parseMuxFrame(bytes);
  if (frame === undefined) return undefined;
  return frame.kind === MUX_BATCH ? muxBatchFrames(frame) : [frame];
}

/**
 * The frames of a BATCH message, as views of its bytes; undefined when its body does not divide into whole frames
 * (the reader treats that as a message it cannot read).
 */
export function muxBatchFrames(batch: MuxFrame): MuxFrame[] | undefined {
  const body = batch.body;
  const frames: MuxFrame[] = [];
  let at = 0;
  while (at < body.length) {
    if (at + LENGTH > body.length) return undefined;
    const end = at + LENGTH + body.readUInt32BE(at);
    if (end > body.length) return undefined;
    const frame = parseMuxFrame(body.subarray(at + LENGTH, end));
    if (frame === undefined || frame.kind === MUX_BATCH) return undefined;
    frames.push(frame);
    at = end;
  }
  return frames;
}
