import { ownedBuffers, toNumber } from '@odin/api';
import {
  type CreateTransition,
  decodeSearchAttributeValue,
  type HistoryEventRow,
  isNilSearchAttributePayload,
  isSearchAttributeType,
  type Transition,
  type TypedSearchAttribute,
  type UpdateTransition,
  type VisibilityRecord,
} from '@odin/persistence';
import type { CachedRun } from './cache.js';
import { addCloseTasks } from './state/close.js';
import type { Mutation, NewRun } from './state/history-builder.js';
import { type MutableState, rootOf } from './state/mutable-state.js';
import { decodeSearchAttributes, encodeEvent, fromBase64, rememberEncoding } from './util/codec.js';
import type { HistoryEvent } from './util/codec.js';

/** One transaction's changes: working copies of existing runs, and the runs it creates. */
export interface PendingCommit {
  readonly updates: readonly { run: CachedRun; mut: Mutation }[];
  readonly creates: readonly NewRun[];
}

/**
 * The store transitions of a transaction, updates first, then creates, with each run's new state as JSON (the same
 * order). Finishes the working copies as committed: close tasks added, history size counted, state version bumped.
 */
export function storeTransitions(
  pending: PendingCommit,
  shardId: number,
  now: number,
): { transitions: Transition[]; jsons: string[] } {
  const transitions: Transition[] = [];
  const jsons: string[] = [];
  for (const { run, mut } of pending.updates) {
    const ms = mut.ms;
    if (mut.closed) addCloseTasks(mut);
    const events = eventRows(ms, mut.events, mut.encodedEvents);
    ms.stateVersion++;
    const json = JSON.stringify(ms);
    jsons.push(json);
    const t: UpdateTransition = {
      kind: 'update',
      key: { namespaceId: ms.namespaceId, workflowId: ms.workflowId, runId: ms.runId },
      expectedDbVersion: run.dbVersion,
      status: ms.status,
      nextEventId: ms.nextEventId,
      state: Buffer.from(json, 'utf8'),
      closeTime: ms.closeTime || null,
      events,
      tasks: mut.tasks,
      updatedAt: now,
    };
    if (mut.closed) t.updateCurrent = { status: ms.status, closeTime: ms.closeTime };
    if (mut.closed || mut.visibilityChanged) t.visibility = visibilityRecord(ms);
    transitions.push(t);
  }
  for (const create of pending.creates) {
    const ms = create.mut.ms;
    const events = eventRows(ms, create.mut.events, create.mut.encodedEvents);
    ms.stateVersion++;
    const json = JSON.stringify(ms);
    jsons.push(json);
    const t: CreateTransition = {
      kind: 'create',
      execution: {
        key: { namespaceId: ms.namespaceId, workflowId: ms.workflowId, runId: ms.runId },
        shardId,
        status: ms.status,
        nextEventId: ms.nextEventId,
        dbVersion: 1,
        state: Buffer.from(json, 'utf8'),
        startTime: ms.startTime,
        closeTime: ms.closeTime || null,
        updatedAt: now,
      },
      current: create.current,
      createRequestId: create.requestId,
      events,
      tasks: create.mut.tasks,
      visibility: visibilityRecord(ms),
    };
    transitions.push(t);
  }
  return { transitions, jsons };
}

function eventRows(ms: MutableState, events: HistoryEvent[], encoded?: Uint8Array[]): HistoryEventRow[] {
  // Encodings made before the events could change no more (the history limits' measure) are reused.
  const reuse = encoded?.length === events.length ? encoded : undefined;
  // The encodings stay with the cached history: copied together out of the encoder's pooled buffers (ownedBuffers).
  const encodings = ownedBuffers(events.map((event, i) => reuse?.[i] ?? encodeEvent(event)));
  return events.map((event, i) => {
    const data = encodings[i]!;
    ms.historySizeBytes += data.length;
    rememberEncoding(event, data);
    return { eventId: toNumber(event.eventId as number), data };
  });
}

/**
 * The run's search attributes with their types, from the `type` metadata their payloads got when they were
 * validated (start, upsert, child start, continue-as-new). Payloads without it (runs started before search
 * attributes were typed) are left out of visibility.
 */
function typedSearchAttributes(ms: MutableState): Record<string, TypedSearchAttribute> {
  const out: Record<string, TypedSearchAttribute> = {};
  for (const [name, payload] of Object.entries(
    decodeSearchAttributes(ms.searchAttributes)?.indexedFields ?? {},
  )) {
    const type = Buffer.from(payload.metadata?.type ?? new Uint8Array()).toString('utf8');
    if (!isSearchAttributeType(type) || isNilSearchAttributePayload(payload)) continue;
    const value = decodeSearchAttributeValue(payload, type);
    if (value.ok) out[name] = { type, value: value.value };
  }
  return out;
}

export function visibilityRecord(ms: MutableState): VisibilityRecord {
  const searchAttributes = typedSearchAttributes(ms);
  const root = rootOf(ms);
  return {
    namespaceId: ms.namespaceId,
    runId: ms.runId,
    workflowId: ms.workflowId,
    workflowType: ms.workflowType,
    status: ms.status,
    startTime: ms.startTime,
    executionTime: ms.executionTime,
    closeTime: ms.closeTime || null,
    taskQueue: ms.taskQueue,
    historyLength: ms.nextEventId - 1,
    historySizeBytes: ms.historySizeBytes,
    memo: ms.memo ? fromBase64(ms.memo) : null,
    searchAttributes: Object.keys(searchAttributes).length > 0 ? searchAttributes : null,
    parentWorkflowId: ms.parentWorkflowId ?? null,
    parentRunId: ms.parentRunId ?? null,
    rootWorkflowId: root.workflowId,
    rootRunId: root.runId,
    stateVersion: ms.stateVersion,
  };
}
