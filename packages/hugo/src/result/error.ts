import { ErrorCodes, tryGetErrorDescriptor } from './codes.js';
import { ErrorMetadata, type MetadataInput } from './metadata.js';

export { ErrorCodes } from './codes.js';
export type { ErrorCode, ErrorDescriptor } from './codes.js';

const DescriptorName = 'error.name';
const DescriptorDescription = 'error.description';
const DescriptorCategory = 'error.category';

/** The JSON shape of an error, identical to Hugo's `ErrorJsonConverter`. */
export interface HugoErrorJson {
  message: string;
  code?: string;
  cause?: { type: string; message: string; stackTrace?: string };
  metadata?: Record<string, unknown>;
}

function attachDescriptor(metadata: ErrorMetadata, code: string | undefined): ErrorMetadata {
  if (code === undefined) return metadata;
  const descriptor = tryGetErrorDescriptor(code);
  if (!descriptor) return metadata;
  return metadata.withDefaults([
    [DescriptorName, descriptor.name],
    [DescriptorDescription, descriptor.description],
    [DescriptorCategory, descriptor.category],
  ]);
}

function exceptionTypeOf(error: unknown): string {
  if (error instanceof Error) return error.name || error.constructor.name;
  if (error === null) return 'null';
  return typeof error;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return String(error);
  } catch {
    return 'Unknown exception.';
  }
}

/** A JSON-safe copy of a metadata value: signals become their state, errors their JSON. */
function sanitize(value: unknown): unknown {
  if (value instanceof HugoError) return value.toJSON();
  if (typeof AbortSignal !== 'undefined' && value instanceof AbortSignal) {
    return { isCancellationRequested: value.aborted, canBeCanceled: true };
  }
  if (value instanceof Error) return { type: exceptionTypeOf(value), message: value.message };
  if (Array.isArray(value)) return value.map(sanitize);
  return value;
}

/**
 * Hugo's immutable `Error`: a message, an optional code, an optional cause (anything thrown) and frozen,
 * case-insensitive metadata. Every `with*` returns a new instance.
 *
 * It is a value, not an exception: it does not extend `Error`. Throw `ResultError` to carry one up a stack.
 */
export class HugoError {
  readonly message: string;
  readonly code: string | undefined;
  readonly cause: unknown;
  readonly metadata: ErrorMetadata;

  private constructor(message: string, code: string | undefined, cause: unknown, metadata: ErrorMetadata) {
    if (typeof message !== 'string') throw new TypeError('An error message must be a string.');
    this.message = message;
    this.code = code;
    this.cause = cause;
    this.metadata = attachDescriptor(metadata, code);
    Object.freeze(this);
  }

  /** Adds or replaces one entry (a blank key throws), or merges a collection of entries. */
  withMetadata(key: string, value: unknown): HugoError;
  withMetadata(entries: MetadataInput): HugoError;
  withMetadata(keyOrEntries: string | MetadataInput, value?: unknown): HugoError {
    if (typeof keyOrEntries === 'string') {
      if (keyOrEntries.trim() === '') throw new TypeError('Metadata key must be provided.');
      return new HugoError(this.message, this.code, this.cause, this.metadata.merge([[keyOrEntries, value]]));
    }
    return new HugoError(this.message, this.code, this.cause, this.metadata.merge(keyOrEntries));
  }

  withCode(code: string | undefined): HugoError {
    return new HugoError(this.message, code, this.cause, this.metadata);
  }

  withCause(cause: unknown): HugoError {
    return new HugoError(this.message, this.code, cause, this.metadata);
  }

  /** The metadata value under `key` (any casing), when present and accepted by `guard`. */
  tryGetMetadata<T>(key: string, guard?: (value: unknown) => value is T): T | undefined {
    if (!this.metadata.has(key)) return undefined;
    const value = this.metadata.get(key);
    if (guard && !guard(value)) return undefined;
    return value as T;
  }

  /** True when the error has this code. */
  is(code: string): boolean {
    return this.code === code;
  }

  toString(): string {
    return this.code === undefined ? this.message : `${this.code}: ${this.message}`;
  }

  toJSON(): HugoErrorJson {
    const json: HugoErrorJson = { message: this.message };
    if (this.code !== undefined) json.code = this.code;
    if (this.cause !== undefined && this.cause !== null) {
      const cause: { type: string; message: string; stackTrace?: string } = {
        type: exceptionTypeOf(this.cause),
        message: messageOf(this.cause),
      };
      if (this.cause instanceof Error && this.cause.stack) cause.stackTrace = this.cause.stack;
      json.cause = cause;
    }
    if (this.metadata.size > 0) {
      const metadata: Record<string, unknown> = {};
      for (const [k, v] of this.metadata) metadata[k] = sanitize(v);
      json.metadata = metadata;
    }
    return json;
  }

  /** Rebuilds an error from `toJSON` output; a cause comes back as a plain `Error` with the recorded type as name. */
  static fromJSON(json: HugoErrorJson): HugoError {
    if (typeof json !== 'object' || json === null || typeof json.message !== 'string') {
      throw new TypeError('Error JSON must be an object with a string "message".');
    }
    let cause: Error | undefined;
    if (json.cause) {
      cause = new Error(json.cause.message);
      cause.name = json.cause.type;
      if (json.cause.stackTrace !== undefined) cause.stack = json.cause.stackTrace;
    }
    let metadata = ErrorMetadata.empty;
    if (json.metadata) {
      const entries = Object.entries(json.metadata).map(([k, v]): [string, unknown] => {
        if (k.toLowerCase() === 'errors' && Array.isArray(v) && v.every(isErrorJson)) {
          return [k, v.map((e) => HugoError.fromJSON(e))];
        }
        return [k, v];
      });
      metadata = metadata.merge(entries);
    }
    return new HugoError(json.message, json.code ?? undefined, cause, metadata);
  }

  static from(message: string, code?: string, cause?: unknown, metadata?: MetadataInput): HugoError {
    return new HugoError(message, code, cause, ErrorMetadata.from(metadata));
  }

  /** An error for something thrown: code `error.exception` (unless given), metadata `exceptionType`, `stackTrace`. */
  static fromException(exception: unknown, code?: string): HugoError {
    const stack = exception instanceof Error ? exception.stack : undefined;
    return new HugoError(
      messageOf(exception),
      code ?? ErrorCodes.Exception,
      exception,
      ErrorMetadata.from([
        ['exceptionType', exceptionTypeOf(exception)],
        ['stackTrace', stack],
      ]),
    );
  }

  /** A cancellation; with a signal, metadata `cancellationToken` holds its state and the cause is its reason. */
  static canceled(message?: string, signal?: AbortSignal): HugoError {
    const metadata = signal
      ? ErrorMetadata.from([
          ['cancellationToken', { isCancellationRequested: signal.aborted, canBeCanceled: true }],
        ])
      : ErrorMetadata.empty;
    return new HugoError(
      message ?? 'Operation was canceled.',
      ErrorCodes.Canceled,
      signal?.aborted ? signal.reason : undefined,
      metadata,
    );
  }

  /** A timeout; metadata `duration` is the timeout in milliseconds when given. */
  static timeout(durationMs?: number, message?: string): HugoError {
    const metadata =
      durationMs === undefined ? ErrorMetadata.empty : ErrorMetadata.from([['duration', durationMs]]);
    return new HugoError(message ?? 'The operation timed out.', ErrorCodes.Timeout, undefined, metadata);
  }

  static unspecified(message?: string): HugoError {
    return new HugoError(
      message ?? 'An unspecified error occurred.',
      ErrorCodes.Unspecified,
      undefined,
      ErrorMetadata.empty,
    );
  }

  /** Not a Hugo factory (Hugo writes `Error.From(msg, ErrorCodes.Validation)`); a shorthand for it. */
  static validation(message: string, metadata?: MetadataInput): HugoError {
    return new HugoError(message, ErrorCodes.Validation, undefined, ErrorMetadata.from(metadata));
  }

  /** Several errors as one; metadata `errors` lists them. An empty list throws. */
  static aggregate(message: string, ...errors: HugoError[]): HugoError {
    if (errors.length === 0) throw new RangeError('At least one error must be provided.');
    return new HugoError(
      message,
      ErrorCodes.Aggregate,
      undefined,
      ErrorMetadata.from([['errors', Object.freeze([...errors])]]),
    );
  }
}

function isErrorJson(value: unknown): value is HugoErrorJson {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/** The factories as a plain object, for `const { canceled } = HugoErrors` style use. */
export const HugoErrors = Object.freeze({
  from: HugoError.from,
  fromException: HugoError.fromException,
  fromJSON: HugoError.fromJSON,
  canceled: HugoError.canceled,
  timeout: HugoError.timeout,
  unspecified: HugoError.unspecified,
  validation: HugoError.validation,
  aggregate: HugoError.aggregate,
});

/** The errors an aggregate carries (empty for any other error). */
export function aggregatedErrors(error: HugoError): readonly HugoError[] {
  const errors = error.metadata.get('errors');
  return Array.isArray(errors) ? (errors.filter((e) => e instanceof HugoError) as HugoError[]) : [];
}
