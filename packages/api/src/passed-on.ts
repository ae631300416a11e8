// Messages handed on between processes as the bytes they arrived in, instead of being decoded and encoded again.
// In a split cluster a workflow task travels history → matching → frontend → worker, and a worker's completion
// frontend → history: each hop that only forwards a message paid for a full protobuf decode and encode of it.
//
// Two kinds of message carry their bytes:
// - an answer of another role that is only handed on (a `passOn` binding of the internal transport): decoded only
//   when something reads it, and sent as it came while nothing has changed it (`lazilyDecoded`);
// - a request the frontend received from a client (`keepReceivedBytes`): its bytes go on to the role that serves
//   it only where the handler says it forwards the request unchanged (`asReceived`), since several handlers fill
//   in or rewrite fields of the request in place.
import type { Type } from 'protobufjs';

/** The bytes a message was decoded from, with its type, and whether they may be sent in its place. */
interface Encoded {
  readonly type: Type;
  readonly bytes: Buffer;
  /** False for a received request until its handler marks it forwarded unchanged (asReceived). */
  handOn: boolean;
}

const ENCODED = Symbol('odin.encoded');

/**
 * The bytes to send for `value` as a message of `type`, when it is a message handed on unchanged: a lazily decoded
 * answer nobody modified, or a received request marked with asReceived. Undefined otherwise, and for a copy of such
 * a message (the property is not enumerable: a spread or Object.assign leaves it behind).
 */
export function passedOnBytes(type: Type, value: unknown): Buffer | undefined {
  const encoded = (value as { [ENCODED]?: Encoded } | null | undefined)?.[ENCODED];
  return encoded?.handOn && encoded.type === type ? encoded.bytes : undefined;
}

/** Keeps `bytes`, which `message` was decoded from as `type`, with it; sent in its place only after asReceived. */
export function keepReceivedBytes<T extends object>(message: T, type: Type, bytes: Buffer): T {
  const encoded: Encoded = { type, bytes, handOn: false };
  Object.defineProperty(message, ENCODED, { value: encoded, enumerable: false });
  return message;
}

/**
 * Marks a received request as forwarded unchanged: the role it goes to gets the bytes the client sent. The caller
 * vouches that nothing changed the request since it was decoded, and that nothing will until it is sent.
 */
export function asReceived<T extends object>(message: T): T {
  const encoded = (message as { [ENCODED]?: Encoded })[ENCODED];
  if (encoded !== undefined) encoded.handOn = true;
  return message;
}

/** A lazily decoded message's state, kept on its proxy's target. */
interface Lazy {
  readonly type: Type;
  readonly bytes: Buffer;
  message: Record<PropertyKey, unknown> | undefined;
  /** Something was written to the message: its bytes no longer say what it holds. */
  changed: boolean;
}

const LAZY = Symbol('odin.lazy');

type Target = { [LAZY]: Lazy };

function decoded(target: Target): Record<PropertyKey, unknown> {
  const lazy = target[LAZY];
  lazy.message ??= lazy.type.decode(lazy.bytes) as unknown as Record<PropertyKey, unknown>;
  return lazy.message;
}

function changed(target: Target): Record<PropertyKey, unknown> {
  const message = decoded(target);
  target[LAZY].changed = true;
  return message;
}

// Why a Proxy rather than a getter per field: the answer's consumers (matching's poll, the frontend's handlers,
// authorization's token paths, the encoder) read it as a plain message; only the few that look at it pay for the
// decode, and a write anywhere on the message's top level drops its bytes, so an answer edited in place (the
// frontend fills in an activity task's timeouts) is encoded anew. Writes below the top level are not seen: a
// consumer that edits a nested message must copy the answer first, as authorization's token rewriting does.
const lazyHandler: ProxyHandler<Target> = {
  get(target, key, receiver) {
    const lazy = target[LAZY];
    if (key === ENCODED)
      return lazy.changed ? undefined : { type: lazy.type, bytes: lazy.bytes, handOn: true };
    if (typeof key === 'string' && Object.hasOwn(lazy.type.fields, key))
      return Reflect.get(decoded(target), key);
    if (lazy.message !== undefined && Object.hasOwn(lazy.message, key)) return lazy.message[key];
    // Not a field: the message class's own members (toJSON, a oneof's getter, which reads its fields through the
    // proxy) and what is asked of any object, above all `then`, which every promise resolved with the answer
    // looks up. None of them needs the decoded message.
    return Reflect.get(target, key, receiver);
  },
  has(target, key) {
    const lazy = target[LAZY];
    if (key === ENCODED) return !lazy.changed;
    if (typeof key === 'string' && Object.hasOwn(lazy.type.fields, key))
      return Reflect.has(decoded(target), key);
    return (lazy.message !== undefined && Object.hasOwn(lazy.message, key)) || Reflect.has(target, key);
  },
  ownKeys: (target) => Reflect.ownKeys(decoded(target)),
  getOwnPropertyDescriptor(target, key) {
    const descriptor = Reflect.getOwnPropertyDescriptor(decoded(target), key);
    // A proxy may not report a property its target lacks as non-configurable.
    if (descriptor) descriptor.configurable = true;
    return descriptor;
  },
  set: (target, key, value) => Reflect.set(changed(target), key, value),
  deleteProperty: (target, key) => Reflect.deleteProperty(changed(target), key),
  defineProperty: (target, key, descriptor) => Reflect.defineProperty(changed(target), key, descriptor),
};

/**
 * A message of `type` that is decoded from `bytes` only when something reads it, and sends `bytes` again
 * (passedOnBytes) as long as nothing writes to it. `instanceof` its message class holds, so protobufjs encodes it
 * like a decoded message once it changed.
 */
export function lazilyDecoded(type: Type, bytes: Buffer): object {
  const target = Object.create(type.ctor.prototype as object) as Target;
  target[LAZY] = { type, bytes, message: undefined, changed: false };
  return new Proxy(target, lazyHandler);
}
