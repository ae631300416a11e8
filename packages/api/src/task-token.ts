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
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw ServiceError.invalidArgument('Task token is malformed: it was not issued by this server.');
  }
  const t = parsed as Partial<Record<string, unknown>>;
  if (t.v !== VERSION || typeof t.namespaceId !== 'string') {
    throw ServiceError.invalidArgument('Task token is malformed: it was not issued by this server.');
  }
  if (t.kind === 'workflow' || t.kind === 'activity' || t.kind === 'query') {
    const { v: _v, ...rest } = t;
    return rest as unknown as TaskToken;
  }
  throw ServiceError.invalidArgument('Task token is malformed: unknown task kind.');
}
