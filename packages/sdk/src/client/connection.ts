import type * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { protoRoot } from '@odin/api/public';
import { type Clock, keepAliveClock } from '@odin/hugo';
import { ServiceCallError } from './errors.js';
import { errorDetailType } from './grpc-wire.js';
import { type ChannelTls, Http2Channel } from './http2-channel.js';
import { LocalWorkers } from './local-workers.js';
import type { RequestOf, ResponseOf, WorkflowServiceMethod } from './service-types.js';

const SERVICE = 'temporal.api.workflowservice.v1.WorkflowService';
/** The long-poll deadline of the WorkflowService protocol: a server answers empty before it. */
export const LONG_POLL_TIMEOUT_MS = 70_000;
const DEFAULT_CALL_TIMEOUT_MS = 30_000;

export interface TlsOptions {
  /** PEM root certificates; the system roots when omitted. */
  ca?: Buffer | string;
  /** PEM client certificate and key, for mTLS. */
  cert?: Buffer | string;
  key?: Buffer | string;
  /** Overrides the name checked against the server certificate. */
  serverName?: string;
}

export interface ConnectionOptions {
  /** host:port; 127.0.0.1:7233 by default. */
  address?: string;
  /** true for TLS with system roots, or the TLS material. Plaintext when omitted. */
  tls?: boolean | TlsOptions;
  /** Sent with every call (e.g. authorization). */
  metadata?: Record<string, string>;
  /** Default deadline of a non-long-poll call. */
  callTimeoutMs?: number;
  /**
   * grpc-js channel options: only 'grpc.ssl_target_name_override' still applies (as `tls.serverName`); the SDK
   * speaks gRPC over node:http2 itself since issue 14, so the others are ignored.
   */
  channelOptions?: grpc.ChannelOptions;
  /**
   * Source of time for deadlines and retry backoff; by default the system clock whose timers keep the process alive,
   * so that a process awaiting a call does not exit while the call waits to retry.
   */
  clock?: Clock;
  /** Attempts of a call that fails with UNAVAILABLE or RESOURCE_EXHAUSTED (default 5; 1 = no retry). */
  maxAttempts?: number;
  /**
   * Send calls as frames on one long-lived stream per connection (Odin's multiplexed call stream) rather than one
   * HTTP/2 stream each; true by default. A server without it (not Odin, or an older Odin) gets unary calls.
   */
  multiplex?: boolean;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Milliseconds until the call's deadline. */
  timeoutMs?: number;
  /** Sent as `temporal-namespace` so the server can route and authorize before decoding. */
  namespace?: string;
  metadata?: Record<string, string>;
}

function toBuffer(value: Buffer | string | undefined): Buffer | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? Buffer.from(value) : value;
}

/** The TLS options of the HTTP/2 session: system roots with `tls: true`, the server name override if any. */
function channelTls(
  tls: ConnectionOptions['tls'],
  channelOptions: grpc.ChannelOptions | undefined,
): ChannelTls | undefined {
  if (!tls) return undefined;
  const material: TlsOptions = tls === true ? {} : tls;
  const override = channelOptions?.['grpc.ssl_target_name_override'];
  const servername = material.serverName ?? (typeof override === 'string' ? override : undefined);
  const ca = toBuffer(material.ca);
  const cert = toBuffer(material.cert);
  const key = toBuffer(material.key);
  return {
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(servername ? { servername } : {}),
  };
}

function pascal(method: string): string {
  return method.charAt(0).toUpperCase() + method.slice(1);
}

type Type = ReturnType<typeof protoRoot.lookupType>;

interface MethodCodec {
  path: string;
  requestType: Type;
  responseType: Type;
}

/**
 * A gRPC connection to a WorkflowService (Temporal's public API), built from the reflection root in @odin/api/public.
 * `call` is typed per RPC: requests are property objects, responses decoded messages (int64 fields as Long).
 */
export class Connection {
  readonly address: string;
  private readonly channel: Http2Channel;
  private readonly metadata: Record<string, string>;
  private readonly callTimeoutMs: number;
  private readonly clock: Clock;
  private readonly maxAttempts: number;
  private readonly codecs = new Map<string, MethodCodec>();
  /**
   * The workers running on this connection: an eager workflow start (`requestEagerStart`) hands the run's first
   * workflow task to one of them.
   */
  readonly localWorkers = new LocalWorkers();

  private constructor(options: ConnectionOptions) {
    this.address = options.address ?? '127.0.0.1:7233';
    const metadata: Record<string, string> = {};
    for (const [key, value] of Object.entries({
      'client-name': 'odin-typescript',
      'client-version': '0.1.0',
      ...options.metadata,
    }))
      metadata[key.toLowerCase()] = value;
    this.metadata = metadata;
    this.channel = new Http2Channel(this.address, {
      tls: channelTls(options.tls, options.channelOptions),
      multiplex: options.multiplex ?? true,
      streamMetadata: metadata,
    });
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.clock = options.clock ?? keepAliveClock;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  }

  /** Opens a lazy connection (the HTTP/2 session connects on the first call). */
  static connect(options: ConnectionOptions = {}): Connection {
    return new Connection(options);
  }

  close(): void {
    this.channel.close();
  }

  /** Whether calls go on the server's multiplexed call stream (false when turned off, or the server has none). */
  get multiplexing(): boolean {
    return this.channel.multiplexing;
  }

  private codec(method: string): MethodCodec {
    let codec = this.codecs.get(method);
    if (!codec) {
      const service = protoRoot.lookupService(SERVICE);
      const name = pascal(method);
      const definition = service.methods[name];
      if (!definition) throw new TypeError(`WorkflowService has no method ${name}`);
      definition.resolve();
      codec = {
        path: `/${SERVICE}/${name}`,
        requestType: definition.resolvedRequestType!,
        responseType: definition.resolvedResponseType!,
      };
      this.codecs.set(method, codec);
    }
    return codec;
  }

  /**
   * Calls one RPC. Rejects with ServiceCallError (code + the errordetails type) or the signal's reason.
   * UNAVAILABLE and RESOURCE_EXHAUSTED are retried with exponential backoff (starts and signals carry request ids,
   * so the server deduplicates a retried call that did arrive).
   */
  async call<M extends WorkflowServiceMethod>(
    method: M,
    request: RequestOf<M>,
    options: CallOptions = {},
  ): Promise<ResponseOf<M>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.callOnce(method, request, options);
      } catch (error) {
        const transient =
          error instanceof ServiceCallError &&
          (error.code === status.UNAVAILABLE || error.code === status.RESOURCE_EXHAUSTED);
        if (!transient || attempt >= this.maxAttempts || options.signal?.aborted) throw error;
        await this.clock.sleep(Math.min(100 * 2 ** (attempt - 1), 2000), options.signal);
      }
    }
  }

  private async callOnce<M extends WorkflowServiceMethod>(
    method: M,
    request: RequestOf<M>,
    options: CallOptions,
  ): Promise<ResponseOf<M>> {
    const codec = this.codec(method);
    const signal = options.signal;
    if (signal?.aborted) throw signal.reason;
    const metadata: Record<string, string> = { ...this.metadata };
    if (options.metadata)
      for (const [key, value] of Object.entries(options.metadata)) metadata[key.toLowerCase()] = value;
    if (options.namespace) metadata['temporal-namespace'] = options.namespace;
    const deadline = this.clock.now() + (options.timeoutMs ?? this.callTimeoutMs);
    let message: Uint8Array;
    try {
      message = codec.requestType.encode(codec.requestType.fromObject(request as object)).finish();
    } catch (error) {
      // grpc-js reported a serialization failure as INTERNAL; kept so callers see the same error type.
      throw new ServiceCallError(
        `Request message serialization failure: ${String(error)}`,
        status.INTERNAL,
        pascal(method),
      );
    }
    const outcome = await this.channel.unary({
      path: codec.path,
      metadata,
      message,
      timeoutMs: deadline - this.clock.now(),
      ...(signal ? { signal } : {}),
    });
    if (outcome.kind === 'ok') {
      try {
        return codec.responseType.decode(outcome.message) as unknown as ResponseOf<M>;
      } catch (error) {
        throw new ServiceCallError(
          `Response message parsing error: ${String(error)}`,
          status.INTERNAL,
          pascal(method),
        );
      }
    }
    if (outcome.kind === 'aborted') throw outcome.reason;
    const { status: failure } = outcome;
    throw new ServiceCallError(
      failure.message || `${failure.code} ${status[failure.code]}`,
      failure.code,
      pascal(method),
      errorDetailType(failure.details),
    );
  }
}
