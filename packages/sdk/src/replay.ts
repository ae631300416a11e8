import { readFile } from 'node:fs/promises';
import { temporal } from '@odin/api/public';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import type { WorkflowClient } from './client/workflow-client.js';
import type { PayloadCodec } from './codec/payload-codec.js';
import { decodeHistory } from './codec/payload-visitor.js';
import type { PayloadConverter } from './common/payload.js';
import type { ICommand, IHistoryEvent } from './common/proto-types.js';
import type { WorkflowInterceptorsFactory } from './workflow/interceptors.js';
import type { WorkflowRegistry } from './workflow/options.js';
import { DeterminismViolationError } from './workflow/errors.js';
import { runWorkflowTask } from './workflow/task-runner.js';

const HistoryEvent = temporal.api.history.v1.HistoryEvent;

export interface ReplayOptions {
  workflowId?: string;
  runId?: string;
  namespace?: string;
  converter?: PayloadConverter;
  /** Decode the history's payloads with these codecs first (a history as the server stores it). */
  payloadCodecs?: readonly PayloadCodec[];
  /** The workflow interceptors the worker runs with (they are workflow code too). */
  interceptors?: readonly WorkflowInterceptorsFactory[];
}

export interface ReplayResult {
  /** The first divergence between the code and the history, if any. */
  divergence?: DeterminismViolationError;
  /** Workflow code threw something that would fail the workflow task. */
  taskFailure?: unknown;
  /** Completed workflow tasks re-executed. */
  replayedTasks: number;
  /** Commands every activation produced. */
  trace: ICommand[][];
}

/** Replays a history against workflow code and reports the first divergence (event and command). */
export async function replayHistory(
  history: readonly IHistoryEvent[],
  workflows: WorkflowRegistry,
  options: ReplayOptions = {},
): Promise<ReplayResult> {
  if (options.payloadCodecs?.length) {
    // Decoded on a copy: the caller's history stays as it was given.
    const copy = history.map((event) =>
      HistoryEvent.decode(HistoryEvent.encode(HistoryEvent.fromObject(event as object)).finish()),
    );
    history = await decodeHistory(copy, { codecs: options.payloadCodecs });
  }
  const outcome = await runWorkflowTask({
    namespace: options.namespace ?? 'default',
    workflowId: options.workflowId ?? 'replay',
    runId:
      options.runId ??
      history[0]?.workflowExecutionStartedEventAttributes?.originalExecutionRunId ??
      'replay',
    history,
    workflows,
    ...(options.converter ? { converter: options.converter } : {}),
    ...(options.interceptors ? { interceptors: options.interceptors } : {}),
  });
  return {
    ...(outcome.nondeterminism ? { divergence: outcome.nondeterminism } : {}),
    ...(outcome.taskFailure !== undefined ? { taskFailure: outcome.taskFailure } : {}),
    replayedTasks: outcome.replayed,
    trace: outcome.trace,
  };
}

/** Reads a history file in Temporal's JSON format (see `historyFromJson`). */
export async function readHistoryFile(path: string): Promise<IHistoryEvent[]> {
  return historyFromJson(JSON.parse(await readFile(path, 'utf8')));
}

/** Replays the history of a workflow fetched from the server. */
export async function replayWorkflowFromServer(
  client: WorkflowClient,
  workflowId: string,
  runId: string | undefined,
  workflows: WorkflowRegistry,
): Promise<ReplayResult> {
  const history = await client.fetchHistory(workflowId, runId);
  return replayHistory(history, workflows, {
    workflowId,
    namespace: client.namespace,
    converter: client.converter,
    payloadCodecs: client.calls.options.codecs,
    ...(runId ? { runId } : {}),
  });
}

/**
 * The determinism test users run in their own suites: replays `history` twice; throws when either replay
 * diverges from the history, fails the task, or the two replays produce different commands.
 */
export async function assertDeterministicReplay(
  history: readonly IHistoryEvent[],
  workflows: WorkflowRegistry,
  options: ReplayOptions = {},
): Promise<ReplayResult> {
  const first = await replayHistory(history, workflows, options);
  if (first.divergence) throw first.divergence;
  if (first.taskFailure !== undefined) throw first.taskFailure;
  const second = await replayHistory(history, workflows, options);
  if (second.divergence) throw second.divergence;
  const a = JSON.stringify(first.trace);
  const b = JSON.stringify(second.trace);
  if (a !== b) {
    const index = first.trace.findIndex(
      (commands, i) => JSON.stringify(commands) !== JSON.stringify(second.trace[i]),
    );
    throw new DeterminismViolationError(
      `Two replays of the same history produced different commands in workflow task ${index + 1}`,
    );
  }
  return first;
}

/**
 * Parses a history from Temporal's JSON format (an object with `events`, or the events array) with
 * `historyFromJSON` of @temporalio/common, the reader of what its `historyToJSON` writes: proto3 JSON (int64 as
 * strings, RFC 3339 timestamps, "10s" durations, base64 bytes), also with the PascalCase event type names of older
 * exports. protobufjs's object form, where times are `{ seconds, nanos }` objects (what `hugo-orchestrator workflow
 * show -o json` writes), is read by protobufjs's own `fromObject`.
 */
export function historyFromJson(json: unknown): IHistoryEvent[] {
  const history = Array.isArray(json) ? { events: json } : json;
  if (isProtobufObjectForm(history)) return temporal.api.history.v1.History.fromObject(history).events;
  return historyFromJSON(history).events ?? [];
}

function isProtobufObjectForm(history: unknown): history is Record<string, unknown> {
  const first = (history as { events?: { eventTime?: unknown }[] } | null)?.events?.[0];
  return typeof first?.eventTime === 'object' && first.eventTime !== null;
}
