import { status } from '@grpc/grpc-js';
import { ServiceError } from '@odin/api';
import { protoRoot } from '@odin/api/public';
import type { FrontendService } from '@odin/frontend';
import type { Connection } from '@odin/sdk';
import { LocalWorkers, ServiceCallError } from '@odin/sdk/client';
import type { Network } from './network.js';
import type { NodeClock } from './node-clock.js';

const SERVICE = 'temporal.api.workflowservice.v1.WorkflowService';
const DEFAULT_CALL_TIMEOUT_MS = 30_000;

interface CallOptionsLike {
  signal?: AbortSignal;
  timeoutMs?: number;
}

type Type = ReturnType<typeof protoRoot.lookupType>;

/** The frontend process a connection reaches: its service and its clock (for the server-side deadline). */
export interface FrontendTarget {
  readonly service: FrontendService;
  readonly clock: NodeClock;
}

function pascal(method: string): string {
  return method.charAt(0).toUpperCase() + method.slice(1);
}

/**
 * An @odin/sdk `Connection` whose calls reach the frontend through the simulated network instead of gRPC. Requests
 * and responses are encoded to protobuf bytes and decoded again, as on the wire, so each side gets its own message
 * objects (a duplicated delivery cannot share state with the first one). Like the SDK's own connection it retries
 * UNAVAILABLE and RESOURCE_EXHAUSTED with backoff on its process's clock.
 *
 * The SDK's `Connection` has a private constructor (it owns an HTTP/2 session); workers and clients use nothing of
 * it but `call`, `close` and the registry of the workers running on it (`localWorkers`, where an eager start looks
 * for one), so this object stands in for one.
 */
export class SimConnection {
  readonly address: string;
  readonly localWorkers = new LocalWorkers();
  readonly #codecs = new Map<string, { name: string; request: Type; response: Type }>();
  #closed = false;

  constructor(
    private readonly node: { readonly name: string; readonly clock: NodeClock },
    private readonly network: Network,
    private readonly frontendNode: string,
    private readonly frontend: () => FrontendTarget | undefined,
    private readonly maxAttempts = 8,
  ) {
    this.address = `sim:${frontendNode}`;
  }

  asConnection(): Connection {
    return this as unknown as Connection;
  }

  close(): void {
    this.#closed = true;
  }

  #codec(method: string) {
    let codec = this.#codecs.get(method);
    if (!codec) {
      const definition = protoRoot.lookupService(SERVICE).methods[pascal(method)];
      if (!definition) throw new TypeError(`WorkflowService has no method ${method}`);
      definition.resolve();
      codec = {
        name: pascal(method),
        request: definition.resolvedRequestType as Type,
        response: definition.resolvedResponseType as Type,
      };
      this.#codecs.set(method, codec);
    }
    return codec;
  }

  async call(method: string, request: object, options: CallOptionsLike = {}): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#callOnce(method, request, options);
      } catch (error) {
        const transient =
          error instanceof ServiceCallError &&
          (error.code === status.UNAVAILABLE || error.code === status.RESOURCE_EXHAUSTED);
        if (!transient || attempt >= this.maxAttempts || options.signal?.aborted || this.#closed) throw error;
        await this.node.clock.sleep(Math.min(100 * 2 ** (attempt - 1), 2000), options.signal);
      }
    }
  }

  async #callOnce(method: string, request: object, options: CallOptionsLike): Promise<unknown> {
    const codec = this.#codec(method);
    const timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    const bytes = codec.request.encode(codec.request.fromObject(request)).finish();
    try {
      const reply = await this.network.call(
        {
          from: this.node.name,
          to: this.frontendNode,
          method: codec.name,
          deadline: this.network.now() + timeoutMs,
          signal: options.signal,
        },
        async () => {
          const frontend = this.frontend();
          if (!frontend) throw new ServiceError(status.UNAVAILABLE, 'frontend is not running');
          const response = await frontend.service.invoke(SERVICE, codec.name, codec.request.decode(bytes), {
            deadline: frontend.clock.now() + timeoutMs,
            // gRPC carries a caller's cancellation to the server; a lost reply or a duplicate it does not.
            ...(options.signal ? { signal: options.signal } : {}),
          });
          return codec.response.encode(codec.response.fromObject(response)).finish();
        },
      );
      return codec.response.decode(reply);
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (error instanceof ServiceError) {
        throw new ServiceCallError(
          error.message,
          error.code,
          codec.name,
          error.detail?.typeName.split('.').pop(),
        );
      }
      throw error;
    }
  }
}
