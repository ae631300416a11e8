import { readFile } from 'node:fs/promises';
import { protoRoot, temporal } from '@odin/api/public';
import type { WorkflowClient } from './client/workflow-client.js';
import type { PayloadConverter } from './common/payload.js';
import type { ICommand, IHistoryEvent } from './common/proto-types.js';
import type { WorkflowRegistry } from './workflow/activator.js';
import { DeterminismViolationError } from './workflow/errors.js';
import { runWorkflowTask } from './workflow/task-runner.js';

type ProtoType = ReturnType<typeof protoRoot.lookupType>;
type ProtoEnum = ReturnType<typeof protoRoot.lookupEnum>;

export interface ReplayOptions {
  workflowId?: string;
  runId?: string;
  namespace?: string;
  converter?: PayloadConverter;
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
  });
  return {
    ...(outcome.nondeterminism ? { divergence: outcome.nondeterminism } : {}),
    ...(outcome.taskFailure !== undefined ? { taskFailure: outcome.taskFailure } : {}),
    replayedTasks: outcome.replayed,
    trace: outcome.trace,
  };
}

/** Reads a history in Temporal's JSON format (`temporal workflow show --output json`, the Web UI download). */
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

// ---- Temporal's JSON history format ---------------------------------------------------------------------------

const historyType = (): ProtoType => protoRoot.lookupType('temporal.api.history.v1.History');

function screamingSnake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function enumValue(enumType: ProtoEnum, value: unknown): unknown {
  if (typeof value !== 'string' || value in enumType.values) return value;
  // Older tools write "WorkflowExecutionStarted" for EVENT_TYPE_WORKFLOW_EXECUTION_STARTED.
  const prefixed = `${screamingSnake(enumType.name)}_${screamingSnake(value)}`;
  return prefixed in enumType.values ? prefixed : value;
}

function parseTimestamp(text: string): { seconds: number; nanos: number } {
  const match = /\.(\d+)Z?$/i.exec(text);
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new TypeError(`Invalid timestamp "${text}" in history JSON`);
  const seconds = Math.floor(ms / 1000);
  const nanos = match ? Number(match[1]!.padEnd(9, '0').slice(0, 9)) : (ms - seconds * 1000) * 1e6;
  return { seconds, nanos };
}

function parseDuration(text: string): { seconds: number; nanos: number } {
  const match = /^(-?\d+)(?:\.(\d+))?s$/.exec(text);
  if (!match) throw new TypeError(`Invalid duration "${text}" in history JSON`);
  return { seconds: Number(match[1]), nanos: match[2] ? Number(match[2].padEnd(9, '0').slice(0, 9)) : 0 };
}

function camel(key: string): string {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** proto3 JSON → protobufjs object form (timestamps, durations, enum names), guided by the message type. */
function normalize(type: ProtoType, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [rawKey, rawValue] of Object.entries(value as Record<string, unknown>)) {
    const key = camel(rawKey);
    const field = type.fields[key] ?? type.fields[rawKey];
    if (!field) continue;
    field.resolve();
    const resolved = field.resolvedType;
    const convert = (v: unknown): unknown => {
      if (!resolved) return v;
      if ('values' in resolved && !('fields' in resolved)) return enumValue(resolved as ProtoEnum, v);
      const nested = resolved as ProtoType;
      const nestedName = nested.fullName.replace(/^\./, '');
      if (nestedName === 'google.protobuf.Timestamp' && typeof v === 'string') return parseTimestamp(v);
      if (nestedName === 'google.protobuf.Duration' && typeof v === 'string') return parseDuration(v);
      return normalize(nested, v);
    };
    if (field.map && rawValue && typeof rawValue === 'object') {
      out[field.name] = Object.fromEntries(Object.entries(rawValue).map(([k, v]) => [k, convert(v)]));
    } else if (field.repeated && Array.isArray(rawValue)) {
      out[field.name] = rawValue.map(convert);
    } else {
      out[field.name] = convert(rawValue);
    }
  }
  return out;
}

/** Parses a history from Temporal's JSON format (an object with `events`, or the events array). */
export function historyFromJson(json: unknown): IHistoryEvent[] {
  const wrapped = Array.isArray(json) ? { events: json } : json;
  const type = historyType();
  const message = temporal.api.history.v1.History.fromObject(normalize(type, wrapped) as object);
  return message.events;
}
