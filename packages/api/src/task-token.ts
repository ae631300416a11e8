import { createHmac, timingSafeEqual } from 'node:crypto';
import { ServiceError } from './service-error.js';

/**
 * What a task token names. Tokens are opaque to clients; the server trusts none of their fields without checking
 * them against mutable state (a stale token is refused with NOT_FOUND, never applied).
 */
export type TaskToken =
  | {
      readonly kind: 'workflow';
      readonly namespaceId: string;
      readonly workflowId: string;
      readonly runId: string;
      readonly scheduledEventId: number;
      readonly startedEventId: number;
      readonly attempt: number;
      /**
       * The poll request that started the task, set for a speculative task (one that delivers updates): when its
       * completion drops it, a later task of the run takes the same event ids, and only this tells them apart.
       */
      readonly startRequestId?: string;
    }
  | {
      readonly kind: 'activity';
      readonly namespaceId: string;
      readonly workflowId: string;
      readonly runId: string;
      readonly scheduledEventId: number;
      readonly activityId: string;
      readonly attempt: number;
    }
  | {
      readonly kind: 'query';
      readonly namespaceId: string;
      readonly queryId: string;
      /** The queue the query was dispatched on: in a cluster the answer is routed to that queue's matching host. */
      readonly taskQueue?: string;
    };

const VERSION = 1;

export function encodeTaskToken(token: TaskToken): Uint8Array {
  return Buffer.from(JSON.stringify({ v: VERSION, ...token }), 'utf8');
}

/** Throws INVALID_ARGUMENT for anything that is not a token this server issued. */
export function decodeTaskToken(bytes: Uint8Array | null | undefined): TaskToken {
  if (!bytes || bytes.length === 0)
    throw ServiceError.invalidArgument('Task token is not set on the request.');
  let parsed: unknown;
  try {
    // A view, not a copy, of the request's bytes: this runs on every task completion.
    parsed = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    throw ServiceError.invalidArgument('Task token is malformed: it was not issued by this server.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw ServiceError.invalidArgument('Task token is malformed: it was not issued by this server.');
  }
  const t = parsed as Partial<Record<string, unknown>>;
  if (t.v !== VERSION || typeof t.namespaceId !== 'string') {
    throw ServiceError.invalidArgument('Task token is malformed: it was not issued by this server.');
  }
  // Own keys only: a kind such as "toString" must not find Object.prototype's.
  const fields =
    typeof t.kind === 'string' && Object.hasOwn(TOKEN_FIELDS, t.kind)
      ? TOKEN_FIELDS[t.kind as TaskToken['kind']]
      : undefined;
  if (fields === undefined) throw ServiceError.invalidArgument('Task token is malformed: unknown task kind.');
  // Every field its kind needs, of its type: what uses a token reads them without checking again.
  for (const [name, type] of fields) {
    const value = t[name];
    const fits = type === 'string' ? typeof value === 'string' : Number.isSafeInteger(value);
    if (!fits)
      throw ServiceError.invalidArgument('Task token is malformed: it was not issued by this server.');
  }
  for (const name of ['startRequestId', 'taskQueue']) {
    if (t[name] !== undefined && typeof t[name] !== 'string') {
      throw ServiceError.invalidArgument('Task token is malformed: it was not issued by this server.');
    }
  }
  const { v: _v, ...rest } = t;
  return rest as unknown as TaskToken;
}

type FieldType = 'string' | 'integer';

/** The fields each kind of token must carry, and their types. */
const TOKEN_FIELD_TYPES: Readonly<Record<TaskToken['kind'], Readonly<Record<string, FieldType>>>> = {
  workflow: {
    workflowId: 'string',
    runId: 'string',
    scheduledEventId: 'integer',
    startedEventId: 'integer',
    attempt: 'integer',
  },
  activity: {
    workflowId: 'string',
    runId: 'string',
    scheduledEventId: 'integer',
    activityId: 'string',
    attempt: 'integer',
  },
  query: { queryId: 'string' },
};

/** The same as lists, made once: decoding walks them for every token. */
const TOKEN_FIELDS: Readonly<Record<TaskToken['kind'], readonly (readonly [string, FieldType])[]>> = {
  workflow: Object.entries(TOKEN_FIELD_TYPES.workflow),
  activity: Object.entries(TOKEN_FIELD_TYPES.activity),
  query: Object.entries(TOKEN_FIELD_TYPES.query),
};

// Worker identity binding. When the frontend authorizes calls, every task token it hands out is wrapped in an
// envelope naming the caller it was handed to and signed with the frontend's key (HMAC-SHA256), so a token that
// leaks to another identity, or is edited, is refused instead of applied. History and matching never see the
// envelope: the frontend unwraps it before routing the call.

const BOUND_VERSION = 2;
const MAC_CONTEXT = 'odin task token binding v2';

/** A task token and the caller identity (the authenticated subject) it was handed to. */
export interface BoundTaskToken {
  readonly token: Uint8Array;
  readonly subject: string;
}

function bindingMac(key: Uint8Array, subject: string, token: Uint8Array): Buffer {
  const mac = createHmac('sha256', key);
  mac.update(MAC_CONTEXT);
  // Length-prefixed, so no subject/token split can produce another pair's input.
  mac.update(`\u0000${Buffer.byteLength(subject)}\u0000${subject}\u0000`);
  mac.update(token);
  return mac.digest();
}

/** Wraps `token` for `subject`, signed with `key`. */
export function bindTaskToken(token: Uint8Array, subject: string, key: Uint8Array): Uint8Array {
  const envelope = {
    v: BOUND_VERSION,
    s: subject,
    t: Buffer.from(token).toString('base64'),
    m: bindingMac(key, subject, token).toString('base64'),
  };
  return Buffer.from(JSON.stringify(envelope), 'utf8');
}

/**
 * Opens an envelope made by `bindTaskToken` with the same key. `unbound` for a plain token (one issued while
 * authorization was off, or never wrapped); `forged` for an envelope whose signature does not verify.
 */
export function unbindTaskToken(
  bytes: Uint8Array,
  key: Uint8Array,
): { kind: 'bound'; bound: BoundTaskToken } | { kind: 'unbound' } | { kind: 'forged' } {
  let parsed: unknown;
  try {
    // A view, not a copy, of the request's bytes: this runs on every task completion.
    parsed = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    return { kind: 'unbound' };
  }
  const e = parsed as Partial<Record<string, unknown>> | null;
  if (e === null || typeof e !== 'object' || e.v !== BOUND_VERSION) return { kind: 'unbound' };
  if (typeof e.s !== 'string' || typeof e.t !== 'string' || typeof e.m !== 'string')
    return { kind: 'forged' };
  const token = Buffer.from(e.t, 'base64');
  const given = Buffer.from(e.m, 'base64');
  const expected = bindingMac(key, e.s, token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { kind: 'forged' };
  return { kind: 'bound', bound: { token: new Uint8Array(token), subject: e.s } };
}
