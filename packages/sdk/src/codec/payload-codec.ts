import type { IPayload } from '../common/proto-types.js';

/**
 * Transforms payloads on their way to and from the server (encryption, compression), the shape of
 * `@temporalio/common`'s PayloadCodec, so a codec works with either SDK. `decode` must return payloads it did not
 * encode unchanged (it sees every payload of a history, some written without it).
 */
export interface PayloadCodec {
  encode(payloads: IPayload[]): Promise<IPayload[]>;
  decode(payloads: IPayload[]): Promise<IPayload[]>;
}

/** Runs the codecs in order (the first given is applied first), as the official SDK does. */
export async function encodePayloads(
  codecs: readonly PayloadCodec[],
  payloads: IPayload[],
): Promise<IPayload[]> {
  let out = payloads;
  for (const codec of codecs) out = await codec.encode(out);
  return out;
}

/** Undoes `encodePayloads`: the codecs in reverse order. */
export async function decodePayloads(
  codecs: readonly PayloadCodec[],
  payloads: IPayload[],
): Promise<IPayload[]> {
  let out = payloads;
  for (let i = codecs.length - 1; i >= 0; i--) out = await codecs[i]!.decode(out);
  return out;
}
