// The request encodings (`grpc-encoding`) a call may use, as grpc-js serves them: identity, gzip (what the official
// SDK's core sends) and deflate; any other is UNIMPLEMENTED. A compressed message may not decompress to more than
// the request size limit (RESOURCE_EXHAUSTED). Small messages, every SDK request in practice, are decompressed
// synchronously: one zlib call costs less main-thread time than a round trip through the thread pool.
import { gunzip, gunzipSync, inflate, inflateSync } from 'node:zlib';
import { status } from '@grpc/grpc-js';
import { GrpcStatusError } from './status.js';

const SYNC_LIMIT = 4096;

function failure(error: unknown, maxBytes: number): GrpcStatusError {
  return (error as { code?: string } | null)?.code === 'ERR_BUFFER_TOO_LARGE'
    ? new GrpcStatusError(
        status.RESOURCE_EXHAUSTED,
        `Received message that decompresses to a size larger than ${maxBytes}`,
      )
    : new GrpcStatusError(status.INTERNAL, 'Failed to decompress message');
}

/**
 * The message's bytes in the clear: `bytes` as is when it is not compressed, else decompressed with `encoding`.
 * Rejects (or throws) a GrpcStatusError.
 */
export function decompress(encoding: string, bytes: Buffer, maxBytes: number): Buffer | Promise<Buffer> {
  if (encoding === 'identity') return bytes;
  if (encoding !== 'gzip' && encoding !== 'deflate') {
    throw new GrpcStatusError(
      status.UNIMPLEMENTED,
      `Received message compressed with unsupported encoding "${encoding}"`,
    );
  }
  const options = { maxOutputLength: Math.max(1, maxBytes) };
  if (bytes.length <= SYNC_LIMIT) {
    try {
      return encoding === 'gzip' ? gunzipSync(bytes, options) : inflateSync(bytes, options);
    } catch (error) {
      throw failure(error, maxBytes);
    }
  }
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, result: Buffer) =>
      error ? reject(failure(error, maxBytes)) : resolve(result);
    if (encoding === 'gzip') gunzip(bytes, options, done);
    else inflate(bytes, options, done);
  });
}
