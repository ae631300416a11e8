// gRPC health (`grpc.health.v1.Health`) for every role's port: a status per service name ("" is the whole port),
// Check answering NOT_FOUND for a name the port does not serve, Watch streaming every change.
//
// Hand-written rather than the `grpc-health-check` package: the frontend must run Check and Watch through its
// authorization (AUTH_ALLOW_UNAUTHENTICATED_HEALTH) and its RPC metrics, which that package's `addToServer`
// bypasses, and it loads its own copy of the proto with @grpc/proto-loader while the pinned @temporalio/proto root
// already holds `grpc.health.v1`.
import {
  type Server,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type sendUnaryData,
  status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { Type } from 'protobufjs';
import { protoRoot } from './proto.js';
import { ServiceError } from './service-error.js';

export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

/** `grpc.health.v1.HealthCheckResponse.ServingStatus`. */
export const ServingStatus = {
  UNKNOWN: 0,
  SERVING: 1,
  NOT_SERVING: 2,
  /** Watch only: the port does not serve that name (Check answers NOT_FOUND instead). */
  SERVICE_UNKNOWN: 3,
} as const;
export type ServingStatus = (typeof ServingStatus)[keyof typeof ServingStatus];

type Listener = (status: ServingStatus) => void;

/**
 * The serving status of each service a port serves, "" (the port as a whole) included. Every name starts
 * NOT_SERVING: the process marks them SERVING once it is ready, and NOT_SERVING again when it starts draining.
 */
export class HealthStatuses {
  readonly #statuses = new Map<string, ServingStatus>();
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #closers = new Set<() => void>();
  /** Set by closeWatches until the port serves again: a Watch arriving meanwhile is answered and ended at once. */
  #closed = false;

  constructor(services: readonly string[]) {
    for (const service of ['', ...services]) this.#statuses.set(service, ServingStatus.NOT_SERVING);
  }

  get services(): string[] {
    return [...this.#statuses.keys()];
  }

  /** The status of `service`, or undefined when this port does not serve it. */
  check(service: string): ServingStatus | undefined {
    return this.#statuses.get(service);
  }

  /** Sets one service's status (a name the port did not serve is added); watchers hear of a change. */
  set(service: string, next: ServingStatus): void {
    if (this.#statuses.get(service) === next) return;
    this.#statuses.set(service, next);
    for (const listener of this.#listeners.get(service) ?? []) listener(next);
  }

  /** Sets every service of the port, "" included. */
  setAll(next: ServingStatus): void {
    if (next === ServingStatus.SERVING) this.#closed = false;
    for (const service of this.#statuses.keys()) this.set(service, next);
  }

  /**
   * Calls `listener` now with the current status (SERVICE_UNKNOWN for a name not served) and on every change, until
   * the returned function is called. `onClose` runs when the statuses are closed (the port is stopping), at once for
   * a Watch that arrives after that.
   */
  watch(service: string, listener: Listener, onClose: () => void): () => void {
    if (this.#closed) {
      listener(this.#statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN);
      onClose();
      return () => {};
    }
    let listeners = this.#listeners.get(service);
    if (!listeners) {
      listeners = new Set();
      this.#listeners.set(service, listeners);
    }
    listeners.add(listener);
    this.#closers.add(onClose);
    listener(this.#statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN);
    return () => {
      listeners.delete(listener);
      this.#closers.delete(onClose);
    };
  }

  /** Ends every Watch stream (a stopping server must not wait for streams that never end on their own). */
  closeWatches(): void {
    this.#closed = true;
    for (const close of [...this.#closers]) close();
    this.#closers.clear();
    this.#listeners.clear();
  }
}

function messageType(name: string): Type {
  return protoRoot.lookupType(`grpc.health.v1.${name}`);
}

/** The Health service with Watch as the server stream it is (the generic unary definition cannot express it). */
export function healthServiceDefinition(): ServiceDefinition {
  const request = messageType('HealthCheckRequest');
  const response = messageType('HealthCheckResponse');
  const method = (name: string, responseStream: boolean) => ({
    path: `/${HEALTH_SERVICE_NAME}/${name}`,
    requestStream: false,
    responseStream,
    requestSerialize: (value: object) => Buffer.from(request.encode(request.fromObject(value)).finish()),
    requestDeserialize: (bytes: Buffer) => request.toObject(request.decode(bytes), { defaults: true }),
    responseSerialize: (value: object) => Buffer.from(response.encode(response.fromObject(value)).finish()),
    responseDeserialize: (bytes: Buffer) => response.toObject(response.decode(bytes), { defaults: true }),
    originalName: name,
  });
  return { Check: method('Check', false), Watch: method('Watch', true) } as ServiceDefinition;
}

/** Check: the service's status, NOT_FOUND for a name this port does not serve. */
export function checkHealth(statuses: HealthStatuses, service: string): { status: ServingStatus } {
  const current = statuses.check(service);
  if (current === undefined)
    throw new ServiceError(status.NOT_FOUND, `unknown service ${JSON.stringify(service)}`);
  return { status: current };
}

export interface HealthHandlerOptions {
  /** Runs before a call is answered; throw a ServiceError to refuse it (the frontend's authorization). */
  readonly admit?: (
    method: 'Check' | 'Watch',
    request: { service: string },
    call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>,
  ) => Promise<void>;
}

/** grpc-js handlers of Check and Watch over `statuses`. */
export function healthImplementation(
  statuses: HealthStatuses,
  options: HealthHandlerOptions = {},
): UntypedServiceImplementation {
  const refuse = (error: unknown) =>
    error instanceof ServiceError
      ? { code: error.code, details: error.message }
      : { code: status.INTERNAL, details: String(error) };
  return {
    Check: (call: ServerUnaryCall<{ service: string }, object>, callback: sendUnaryData<object>) => {
      const request = { service: call.request.service ?? '' };
      (options.admit?.('Check', request, call) ?? Promise.resolve())
        .then(() => callback(null, checkHealth(statuses, request.service)))
        .catch((error: unknown) => callback(refuse(error), null));
    },
    Watch: (call: ServerWritableStream<{ service: string }, object>) => {
      const request = { service: call.request.service ?? '' };
      (options.admit?.('Watch', request, call) ?? Promise.resolve()).then(
        () => {
          if (call.cancelled) return;
          const stop = statuses.watch(
            request.service,
            (next) => call.write({ status: next }),
            () => call.end(),
          );
          call.on('cancelled', stop);
          call.on('close', stop);
        },
        (error: unknown) => call.emit('error', refuse(error)),
      );
    },
  };
}

/** Registers the Health service over `statuses` on `server`. */
export function addHealthService(
  server: Server,
  statuses: HealthStatuses,
  options?: HealthHandlerOptions,
): void {
  server.addService(healthServiceDefinition(), healthImplementation(statuses, options));
}
