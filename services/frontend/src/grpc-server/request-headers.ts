// What a call's request headers say besides its path: its deadline (`grpc-timeout`) and its text metadata (every
// other header), read as grpc-js reads them.
import type { IncomingHttpHeaders } from 'node:http2';
import { status } from '@grpc/grpc-js';
import { GrpcStatusError } from './status.js';

const TIMEOUT = /(\d{1,8})\s*([HMSmun])/;
const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000_001 };

/** The timeout of a `grpc-timeout` value in ms. Throws INTERNAL for a value that is not one, as grpc-js answers. */
export function timeoutMs(value: string): number {
  const match = TIMEOUT.exec(value);
  if (match === null) {
    throw new GrpcStatusError(status.INTERNAL, `Invalid grpc-timeout value "${value}"`);
  }
  // Up to 99,999,999 hours: far beyond a 32-bit integer, so no `| 0` here.
  return Math.floor(Number(match[1]) * UNIT_MS[match[2]!]!);
}

/** The first value of a text metadata entry, undefined when absent or empty. */
export function metadataValue(headers: IncomingHttpHeaders, key: string): string | undefined {
  const raw = headers[key];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value === undefined || value === '' ? undefined : value;
}
