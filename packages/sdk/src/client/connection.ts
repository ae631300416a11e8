import * as grpc from '@grpc/grpc-js';
import { google, protoRoot } from '@odin/api/public';
import { type Clock, systemClock } from '@odin/hugo';
import { ServiceCallError } from './errors.js';
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
  /** Extra grpc-js channel options. */
  channelOptions?: grpc.ChannelOptions;
  /** Source of time for deadlines and retry backoff; the system clock by default. */
  clock?: Clock;
  /** Attempts of a call that fails with UNAVAILABLE or RESOURCE_EXHAUSTED (default 5; 1 = no retry). */
  maxAttempts?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Milliseconds until the call's deadline. */
  timeoutMs?: number;
  /** Sent as `temporal-namespace` so the server can route and authorize before decoding. */
  namespace?: string;
  metadata?: Record<string, string>;
}

function toBuffer(value: Buffer | string | undefined): Buffer | null {
  if (value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value) : value;
}

function credentialsFor(tls: ConnectionOptions['tls']): {
  credentials: grpc.ChannelCredentials;
  options: grpc.ChannelOptions;
} {
  if (!tls) return { credentials: grpc.credentials.createInsecure(), options: {} };
  const material: TlsOptions = tls === true ? {} : tls;
  return {
    credentials: grpc.credentials.createSsl(
      toBuffer(material.ca),
      toBuffer(material.key),
      toBuffer(material.cert),
    ),
    options: material.serverName ? { 'grpc.ssl_target_name_override': material.serverName } : {},
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

const statusType = google.rpc.Status;

/** The `temporal.api.errordetails.v1` type carried in grpc-status-details-bin, if any. */
function errorDetailType(metadata: grpc.Metadata | undefined): string | undefined {
  const raw = metadata?.get('grpc-status-details-bin')[0];
  if (!raw || typeof raw === 'string') return undefined;
  try {
    const decoded = statusType.decode(raw);
    const typeUrl = decoded.details?.[0]?.type_url ?? undefined;
    return typeUrl?.slice(typeUrl.lastIndexOf('/') + 1);
  } catch {
    return undefined;
  }
}

/**
 * A gRPC connection to a WorkflowService (Temporal's public API), built from the reflection root in @odin/api/public.
 * `call` is typed per RPC: requests are property objects, responses decoded messages (int64 fields as Long).
 */
export class Connection {
  readonly address: string;
  private readonly client: grpc.Client;
  private readonly metadata: Record<string, string>;
  private readonly callTimeoutMs: number;
  private readonly clock: Clock;
  private readonly maxAttempts: number;
  private readonly codecs = new Map<string, MethodCodec>();

  private constructor(options: ConnectionOptions) {
    this.address = options.address ?? '127.0.0.1:7233';
    const { credentials, options: tlsChannelOptions } = credentialsFor(options.tls);
    this.client = new grpc.Client(this.address, credentials, {
      'grpc.max_receive_message_length': 128 * 1024 * 1024,
      ...tlsChannelOptions,
      ...options.channelOptions,
    });
    this.metadata = { 'client-name': 'odin-typescript', 'client-version': '0.1.0', ...options.metadata };
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.clock = options.clock ?? systemClock;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  }

  /** Opens a lazy connection (grpc connects on the first call). */
  static connect(options: ConnectionOptions = {}): Connection {
    return new Connection(options);
  }

  close(): void {
    this.client.close();
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
          (error.code === grpc.status.UNAVAILABLE || error.code === grpc.status.RESOURCE_EXHAUSTED);
        if (!transient || attempt >= this.maxAttempts || options.signal?.aborted) throw error;
        await this.clock.sleep(Math.min(100 * 2 ** (attempt - 1), 2000), options.signal);
      }
    }
  }

  private callOnce<M extends WorkflowServiceMethod>(
    method: M,
    request: RequestOf<M>,
    options: CallOptions,
  ): Promise<ResponseOf<M>> {
    const codec = this.codec(method);
    const metadata = new grpc.Metadata();
    for (const [key, value] of Object.entries({ ...this.metadata, ...options.metadata }))
      metadata.set(key, value);
    if (options.namespace) metadata.set('temporal-namespace', options.namespace);
    const deadline = new Date(this.clock.now() + (options.timeoutMs ?? this.callTimeoutMs));
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<ResponseOf<M>>((resolve, reject) => {
      const onAbort = () => call.cancel();
      const call = this.client.makeUnaryRequest(
        codec.path,
        (value: RequestOf<M>) =>
          Buffer.from(codec.requestType.encode(codec.requestType.fromObject(value as object)).finish()),
        (bytes: Buffer) => codec.responseType.decode(bytes) as unknown as ResponseOf<M>,
        request,
        metadata,
        { deadline },
        (error, response) => {
          signal?.removeEventListener('abort', onAbort);
          if (error) {
            if (signal?.aborted) {
              reject(signal.reason);
              return;
            }
            reject(
              new ServiceCallError(
                error.details || error.message,
                error.code,
                pascal(method),
                errorDetailType(error.metadata),
              ),
            );
            return;
          }
          resolve(response as ResponseOf<M>);
        },
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
