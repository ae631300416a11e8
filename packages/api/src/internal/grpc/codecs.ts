// How each interface method's arguments map onto its RPC's request message and back. Temporal's messages travel
// as they are (decoded on the far side into the same protobufjs classes, so int64 stays Long, bytes Uint8Array,
// enums numbers); Odin's own request types are spelled out field by field, and come back as plain objects with JS
// numbers and without the optional fields the caller left unset.
import { type Int64Like, toNumber } from '../../int64.js';
import type { NamespaceRef } from '../context.js';
import type {
  ApplyParentClosePolicyRequest,
  DeliverExternalRequest,
  RecordActivityTaskStartedRequest,
  RecordChildExecutionCompletedRequest,
  RecordWorkflowTaskStartedRequest,
  StartChildExecutionRequest,
} from '../history-api.js';
import type { AddTaskRequest, QueryTaskRequest } from '../matching-api.js';

/** A decoded request message of an internal RPC, as far as the codecs read it. */
export type WireMessage = Record<string, unknown> & { namespace?: { id?: string; name?: string } | null };

/** One interface method's request, to and from its RPC's request message (without the namespace). */
export interface RequestCodec<Req> {
  toWire(req: Req): Record<string, unknown>;
  fromWire(wire: WireMessage): Req;
}

export interface MethodBinding<Req = unknown> {
  readonly request: RequestCodec<Req>;
  /** The RPC answers an empty message and the interface method resolves to undefined. */
  readonly empty?: boolean;
  /**
   * The caller hands the answer on unchanged as the answer of its own RPC of the same message type (matching answers
   * a poll with history's record…Started answer, history events included): the client keeps the bytes with the
   * decoded message and the caller's server sends them again instead of encoding the message anew. The caller
   * must not modify such an answer.
   */
  readonly passOn?: boolean;
}

export function namespaceToWire(ns: NamespaceRef): { id: string; name: string } {
  return { id: ns.id, name: ns.name };
}

export function namespaceFromWire(wire: WireMessage): NamespaceRef {
  return { id: wire.namespace?.id ?? '', name: wire.namespace?.name ?? '' };
}

/** A Temporal request message carried in the `request` field. */
export function temporalRequest<Req>(): MethodBinding<Req> {
  return {
    request: {
      toWire: (req) => ({ request: req }),
      fromWire: (wire) => (wire.request ?? {}) as Req,
    },
  };
}

function has(wire: WireMessage, field: string): boolean {
  return Object.hasOwn(wire, field) && wire[field] !== null && wire[field] !== undefined;
}

function taskStartedCodec<
  Req extends RecordWorkflowTaskStartedRequest | RecordActivityTaskStartedRequest,
>(): RequestCodec<Req> {
  return {
    toWire: (req) => ({
      workflowId: req.workflowId,
      runId: req.runId,
      scheduledEventId: req.scheduledEventId,
      requestId: req.requestId,
      pollRequest: req.pollRequest,
    }),
    fromWire: (wire) =>
      ({
        workflowId: (wire.workflowId as string | undefined) ?? '',
        runId: (wire.runId as string | undefined) ?? '',
        scheduledEventId: toNumber(wire.scheduledEventId as Int64Like),
        requestId: (wire.requestId as string | undefined) ?? '',
        pollRequest: wire.pollRequest ?? {},
      }) as Req,
  };
}

export const recordWorkflowTaskStartedBinding: MethodBinding<RecordWorkflowTaskStartedRequest> = {
  request: taskStartedCodec<RecordWorkflowTaskStartedRequest>(),
  passOn: true,
};

export const recordActivityTaskStartedBinding: MethodBinding<RecordActivityTaskStartedRequest> = {
  request: taskStartedCodec<RecordActivityTaskStartedRequest>(),
  passOn: true,
};

export const addTaskBinding: MethodBinding<AddTaskRequest> = {
  empty: true,
  request: {
    toWire: (req) => ({
      taskQueue: req.taskQueue,
      workflowId: req.workflowId,
      runId: req.runId,
      scheduledEventId: req.scheduledEventId,
      ...(req.expiresAt === undefined ? {} : { expiresAt: req.expiresAt }),
      ...(req.sticky ? { sticky: true } : {}),
    }),
    fromWire: (wire) => ({
      taskQueue: (wire.taskQueue as string | undefined) ?? '',
      workflowId: (wire.workflowId as string | undefined) ?? '',
      runId: (wire.runId as string | undefined) ?? '',
      scheduledEventId: toNumber(wire.scheduledEventId as Int64Like),
      ...(has(wire, 'expiresAt') ? { expiresAt: toNumber(wire.expiresAt as Int64Like) } : {}),
      ...(wire.sticky === true ? { sticky: true } : {}),
    }),
  },
};

export const dispatchQueryBinding: MethodBinding<QueryTaskRequest> = {
  request: {
    toWire: (req) => ({ taskQueue: req.taskQueue, response: req.response, queryId: req.queryId }),
    fromWire: (wire) =>
      ({
        taskQueue: (wire.taskQueue as string | undefined) ?? '',
        response: wire.response ?? {},
        queryId: (wire.queryId as string | undefined) ?? '',
      }) as QueryTaskRequest,
  },
};

function str(wire: WireMessage, field: string): string {
  return (wire[field] as string | undefined) ?? '';
}

export const startChildExecutionBinding: MethodBinding<StartChildExecutionRequest> = {
  request: {
    toWire: (req) => ({ parent: req.parent, requestId: req.requestId, attributes: req.attributes }),
    fromWire: (wire) => {
      const parent = (wire.parent ?? {}) as WireMessage;
      return {
        parent: {
          namespaceId: str(parent, 'namespaceId'),
          namespace: str(parent, 'namespace'),
          workflowId: str(parent, 'workflowId'),
          runId: str(parent, 'runId'),
          initiatedEventId: toNumber(parent.initiatedEventId as Int64Like),
        },
        requestId: str(wire, 'requestId'),
        attributes: (wire.attributes ?? {}) as StartChildExecutionRequest['attributes'],
      };
    },
  },
};

export const recordChildExecutionCompletedBinding: MethodBinding<RecordChildExecutionCompletedRequest> = {
  empty: true,
  request: {
    toWire: (req) => ({ ...req }),
    fromWire: (wire) => ({
      parentWorkflowId: str(wire, 'parentWorkflowId'),
      parentRunId: str(wire, 'parentRunId'),
      initiatedEventId: toNumber(wire.initiatedEventId as Int64Like),
      childRunId: str(wire, 'childRunId'),
      completionEvent: (wire.completionEvent ??
        {}) as RecordChildExecutionCompletedRequest['completionEvent'],
    }),
  },
};

export const applyParentClosePolicyBinding: MethodBinding<ApplyParentClosePolicyRequest> = {
  empty: true,
  request: {
    toWire: (req) => ({ ...req }),
    fromWire: (wire) => ({
      workflowId: str(wire, 'workflowId'),
      runId: str(wire, 'runId'),
      parentRunId: str(wire, 'parentRunId'),
      policy: (wire.policy as number | undefined) ?? 0,
    }),
  },
};

export const deliverExternalBinding: MethodBinding<DeliverExternalRequest> = {
  empty: true,
  request: {
    toWire: (req) => ({ ...req }),
    fromWire: (wire) => ({
      kind: str(wire, 'kind') === 'cancel' ? 'cancel' : 'signal',
      targetWorkflowId: str(wire, 'targetWorkflowId'),
      targetRunId: str(wire, 'targetRunId'),
      sourceWorkflowId: str(wire, 'sourceWorkflowId'),
      sourceRunId: str(wire, 'sourceRunId'),
      initiatedEventId: toNumber(wire.initiatedEventId as Int64Like),
      childWorkflowOnly: wire.childWorkflowOnly === true,
      ...(has(wire, 'signalName') ? { signalName: str(wire, 'signalName') } : {}),
      ...(has(wire, 'input') ? { input: wire.input as DeliverExternalRequest['input'] } : {}),
      ...(has(wire, 'header') ? { header: wire.header as DeliverExternalRequest['header'] } : {}),
      ...(has(wire, 'reason') ? { reason: str(wire, 'reason') } : {}),
    }),
  },
};
