import type { CallOptions, Connection } from '../client/connection.js';
import type { RequestOf, ResponseOf, WorkflowServiceMethod } from '../client/service-types.js';
import { protoRoot } from '@odin/api/public';
import type { PayloadCodec } from './payload-codec.js';
import { type CodecOptions, decodeMessage, encodeMessage } from './payload-visitor.js';

const SERVICE_PACKAGE = 'temporal.api.workflowservice.v1';

function messageName(method: string, suffix: 'Request' | 'Response'): string {
  return `${SERVICE_PACKAGE}.${method.charAt(0).toUpperCase()}${method.slice(1)}${suffix}`;
}

/** The codec settings of a client or worker. */
export interface DataCodecOptions {
  /** Applied to every payload sent (in order) and received (in reverse order); none by default. */
  payloadCodecs?: readonly PayloadCodec[];
  /** Moves failures' message and stack trace into an encoded payload (the official `encodeCommonAttributes`). */
  encodeFailureAttributes?: boolean;
}

/**
 * WorkflowService calls with payload codecs applied: every payload of a request is encoded (on a copy: the
 * caller's objects stay as they are) and every payload of a response decoded, headers and search attributes
 * excepted. Without codecs and failure-attribute encoding it is the plain call.
 */
export class CodecCalls {
  readonly options: CodecOptions;
  readonly active: boolean;

  constructor(
    private readonly connection: Connection,
    settings: DataCodecOptions = {},
  ) {
    this.options = {
      codecs: settings.payloadCodecs ?? [],
      ...(settings.encodeFailureAttributes ? { encodeFailureAttributes: true } : {}),
    };
    this.active = this.options.codecs.length > 0 || this.options.encodeFailureAttributes === true;
  }

  async call<M extends WorkflowServiceMethod>(
    method: M,
    request: RequestOf<M>,
    options: CallOptions = {},
    { decodeResponse = true }: { decodeResponse?: boolean } = {},
  ): Promise<ResponseOf<M>> {
    if (!this.active) return this.connection.call(method, request, options);
    const type = protoRoot.lookupType(messageName(method, 'Request'));
    const copy = type.fromObject(request as object) as unknown as RequestOf<M>;
    await encodeMessage(messageName(method, 'Request'), copy as object, this.options);
    const response = await this.connection.call(method, copy, options);
    if (decodeResponse)
      await decodeMessage(messageName(method, 'Response'), response as object, this.options);
    return response;
  }

  /** Encodes (in place) a message of the named type, e.g. a protocol message body before it is packed. */
  encode<T extends object>(typeName: string, message: T): Promise<T> {
    return this.active ? encodeMessage(typeName, message, this.options) : Promise.resolve(message);
  }

  /** Decodes (in place) a message of the named type, e.g. a history event read without decoding. */
  decode<T extends object>(typeName: string, message: T): Promise<T> {
    return this.active ? decodeMessage(typeName, message, this.options) : Promise.resolve(message);
  }
}
