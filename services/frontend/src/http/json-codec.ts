// Request and response messages as Temporal's HTTP JSON: protobufjs's own ProtoJSON mapping (lowerCamelCase names,
// int64 as strings, enums by name, Timestamp/Duration/Any in their proto3 JSON forms) plus Temporal's payload
// shorthand on top.
import { createRequire } from 'node:module';
import { ownedBuffer } from '@odin/api';
import type { Message, Type } from 'protobufjs';
import type * as ProtoJson from 'protobufjs/ext/protojson.js';
import { encodeMessage } from '../grpc-service.js';
import { type Json, payloadsFromShorthand, payloadsToShorthand } from './payload-shorthand.js';

// The extension is CommonJS that fills `module.exports` through an alias, which ESM cannot see as named exports.
const require = createRequire(import.meta.url);
const protojson = require('protobufjs/ext/protojson.js') as typeof ProtoJson;

export interface JsonOptions {
  /** Temporal's payload shorthand (on unless the caller asks `?noPayloadShorthand`). */
  readonly payloadShorthand: boolean;
}

/**
 * A request message from its JSON, exactly as the gRPC server would have decoded it from the wire: the message is
 * encoded and decoded once, so handlers see the same Long, enum number, Buffer and default values either way.
 * Throws an Error naming the field when the JSON does not fit the message.
 */
export function requestFromJson(type: Type, json: Json, options: JsonOptions): Message {
  const standard = options.payloadShorthand ? payloadsFromShorthand(type, json) : json;
  const message = protojson.fromJson(type, standard);
  // Decoded from bytes of its own, as the gRPC path does (decodeRequest): its payloads may be kept long.
  return type.decode(ownedBuffer(type.encode(message).finish()));
}

/** A handler's answer (a message or the plain object gRPC would encode) as Temporal's HTTP JSON. */
export function responseToJson(type: Type, value: unknown, options: JsonOptions): Json {
  const message = type.decode(encodeMessage(type, value));
  const json = protojson.toJson(type, message) as Json;
  return options.payloadShorthand ? payloadsToShorthand(type, json) : json;
}

/** Any message of the proto root as proto3 JSON (used for google.rpc.Status error bodies). */
export function messageToJson(type: Type, message: Message | Record<string, unknown>): Json {
  return protojson.toJson(type, message) as Json;
}
