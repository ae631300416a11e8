import {
  type ChannelCredentials,
  type ChannelOptions,
  type Client,
  credentials,
  makeGenericClientConstructor,
  Metadata,
} from '@grpc/grpc-js';
import { grpcServiceDefinition, WORKFLOW_SERVICE } from './grpc-service.js';

/** A failed call as grpc-js reports it: status code, message and trailers. */
export interface GrpcCallError extends Error {
  readonly code: number;
  readonly details: string;
  readonly metadata: Metadata;
}

type Unary = (
  request: object,
  metadata: Metadata,
  options: object,
  callback: (error: GrpcCallError | null, response?: Record<string, unknown>) => void,
) => void;

/**
 * A minimal untyped client of a Temporal service (default WorkflowService), built from the same proto root as the
 * server: for the CLI's admin verbs and for tests that talk gRPC without the SDK.
 */
export class TemporalGrpcClient {
  readonly #client: Client;

  constructor(
    address: string,
    service: string = WORKFLOW_SERVICE,
    options: { credentials?: ChannelCredentials; channelOptions?: ChannelOptions } = {},
  ) {
    const Ctor = makeGenericClientConstructor(grpcServiceDefinition(service), service);
    this.#client = new Ctor(
      address,
      options.credentials ?? credentials.createInsecure(),
      options.channelOptions,
    );
  }

  /** `metadata` goes out as request headers, e.g. `{ authorization: 'Bearer …' }`. */
  call(
    method: string,
    request: object,
    options: { deadline?: Date; metadata?: Readonly<Record<string, string>> } = {},
  ): Promise<Record<string, unknown>> {
    const fn = (this.#client as unknown as Record<string, Unary | undefined>)[method];
    if (!fn) return Promise.reject(new Error(`unknown method ${method}`));
    const metadata = new Metadata();
    for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
    const callOptions = options.deadline === undefined ? {} : { deadline: options.deadline };
    return new Promise((resolve, reject) =>
      fn.call(this.#client, request, metadata, callOptions, (error, response) =>
        error ? reject(error) : resolve(response ?? {}),
      ),
    );
  }

  close(): void {
    this.#client.close();
  }
}
