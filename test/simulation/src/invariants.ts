import { createHash } from 'node:crypto';
import { temporal, toNumber } from '@odin/api/public';
import { defaultPayloadConverter, fromPayloads, type IHistoryEvent, replayHistory } from '@odin/sdk';
import { updateIdOf } from './client-workload.js';
import { expectedResult, expectedRuns, isAccepted, type WorkflowSpec } from './workload.js';
import { bumpResult, type Plan } from './workflows.js';

const T = temporal.api.enums.v1.EventType;
const HistoryEvent = temporal.api.history.v1.HistoryEvent;

const CLOSE_EVENTS: ReadonlySet<number> = new Set([
  T.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
  T.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  T.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
  T.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
  T.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
  T.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
]);

/** For each event type that refers back to earlier events: which attribute, which field, which type it must name. */
const REFERENCES: readonly [number, string, string, number][] = [
  [
    T.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    'workflowTaskStartedEventAttributes',
    'scheduledEventId',
    T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
  ],
  [
    T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    'workflowTaskCompletedEventAttributes',
    'scheduledEventId',
    T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
  ],
  [
    T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    'workflowTaskCompletedEventAttributes',
    'startedEventId',
    T.EVENT_TYPE_WORKFLOW_TASK_STARTED,
  ],
  [
    T.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    'workflowTaskFailedEventAttributes',
    'scheduledEventId',
    T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
  ],
  [
    T.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    'workflowTaskFailedEventAttributes',
    'startedEventId',
    T.EVENT_TYPE_WORKFLOW_TASK_STARTED,
  ],
  [
    T.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
    'workflowTaskTimedOutEventAttributes',
    'scheduledEventId',
    T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
  ],
  [
    T.EVENT_TYPE_ACTIVITY_TASK_STARTED,
    'activityTaskStartedEventAttributes',
    'scheduledEventId',
    T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
  ],
  [
    T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
    'activityTaskCompletedEventAttributes',
    'scheduledEventId',
    T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
  ],
  [
    T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
    'activityTaskCompletedEventAttributes',
    'startedEventId',
    T.EVENT_TYPE_ACTIVITY_TASK_STARTED,
  ],
  [
    T.EVENT_TYPE_ACTIVITY_TASK_FAILED,
    'activityTaskFailedEventAttributes',
    'scheduledEventId',
    T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
  ],
  [
    T.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
    'activityTaskTimedOutEventAttributes',
    'scheduledEventId',
    T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
  ],
  [
    T.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
    'activityTaskCanceledEventAttributes',
    'scheduledEventId',
    T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
  ],
  [T.EVENT_TYPE_TIMER_FIRED, 'timerFiredEventAttributes', 'startedEventId', T.EVENT_TYPE_TIMER_STARTED],
  [T.EVENT_TYPE_TIMER_CANCELED, 'timerCanceledEventAttributes', 'startedEventId', T.EVENT_TYPE_TIMER_STARTED],
  [
    T.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED,
    'childWorkflowExecutionStartedEventAttributes',
    'initiatedEventId',
    T.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
  ],
  [
    T.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
    'childWorkflowExecutionCompletedEventAttributes',
    'initiatedEventId',
    T.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
  ],
  [
    T.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
    'childWorkflowExecutionCompletedEventAttributes',
    'startedEventId',
    T.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED,
  ],
];

/** The event types that close the thing an earlier event opened (at most one each). */
const CLOSERS: readonly [number, string, string][] = [
  [T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, 'activityTaskCompletedEventAttributes', 'scheduledEventId'],
  [T.EVENT_TYPE_ACTIVITY_TASK_FAILED, 'activityTaskFailedEventAttributes', 'scheduledEventId'],
  [T.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, 'activityTaskTimedOutEventAttributes', 'scheduledEventId'],
  [T.EVENT_TYPE_ACTIVITY_TASK_CANCELED, 'activityTaskCanceledEventAttributes', 'scheduledEventId'],
  [T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, 'workflowTaskCompletedEventAttributes', 'scheduledEventId'],
  [T.EVENT_TYPE_WORKFLOW_TASK_FAILED, 'workflowTaskFailedEventAttributes', 'scheduledEventId'],
  [T.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, 'workflowTaskTimedOutEventAttributes', 'scheduledEventId'],
  [T.EVENT_TYPE_TIMER_FIRED, 'timerFiredEventAttributes', 'startedEventId'],
  [T.EVENT_TYPE_TIMER_CANCELED, 'timerCanceledEventAttributes', 'startedEventId'],
];

function typeName(type: number | null | undefined): string {
  return T[type ?? 0] ?? String(type);
}

function attr(event: IHistoryEvent, attributes: string, field: string): number {
  const value = (event as Record<string, Record<string, unknown> | undefined>)[attributes]?.[field];
  return toNumber(value as number) ?? 0;
}

/** Temporal's event rules this checker knows, for one run's history. Returns what is wrong. */
export function checkHistory(events: readonly IHistoryEvent[]): string[] {
  const problems: string[] = [];
  if (events.length === 0) return ['empty history'];
  const typeOf = new Map<number, number>();
  events.forEach((event, i) => {
    const id = toNumber(event.eventId) ?? 0;
    if (id !== i + 1) problems.push(`event #${i + 1} has id ${id} (ids must run 1, 2, 3… without gaps)`);
    typeOf.set(id, event.eventType ?? 0);
  });
  if (events[0]?.eventType !== T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
    problems.push(`first event is ${typeName(events[0]?.eventType)}`);
  const closes = events.filter((e) => CLOSE_EVENTS.has(e.eventType ?? 0));
  if (closes.length !== 1) problems.push(`${closes.length} close events (exactly one expected)`);
  else if (closes[0] !== events[events.length - 1]) problems.push('the close event is not the last event');
  for (const event of events) {
    const id = toNumber(event.eventId) ?? 0;
    for (const [type, attributes, field, target] of REFERENCES) {
      if (event.eventType !== type) continue;
      const ref = attr(event, attributes, field);
      if (ref === 0 && field === 'startedEventId') continue;
      if (ref >= id || typeOf.get(ref) !== target)
        problems.push(`${typeName(type)} #${id}: ${field} ${ref} is not an earlier ${typeName(target)}`);
    }
  }
  const closed = new Map<number, number>();
  for (const event of events) {
    for (const [type, attributes, field] of CLOSERS) {
      if (event.eventType !== type) continue;
      const ref = attr(event, attributes, field);
      if (closed.has(ref))
        problems.push(
          `${typeName(type)} #${toNumber(event.eventId)} closes ${ref}, already closed by #${closed.get(ref)}`,
        );
      closed.set(ref, toNumber(event.eventId) ?? 0);
    }
  }
  // At most one workflow task at a time: a new one is scheduled only once the previous one closed.
  let open: number | undefined;
  for (const event of events) {
    const id = toNumber(event.eventId) ?? 0;
    if (event.eventType === T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED) {
      if (open !== undefined) problems.push(`workflow task #${id} scheduled while #${open} is still open`);
      open = id;
    } else if (
      event.eventType === T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED ||
      event.eventType === T.EVENT_TYPE_WORKFLOW_TASK_FAILED ||
      event.eventType === T.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT
    ) {
      open = undefined;
    }
  }
  // Every activity scheduled in a closed run was closed, or the run closed while it was pending (allowed).
  return problems;
}

export interface WorkflowCheck {
  readonly failures: string[];
  events: number;
  /** One hash per run's history, in run order. */
  readonly digests: string[];
}

type Fetch = (workflowId: string, runId?: string) => Promise<IHistoryEvent[]>;

function digest(events: readonly IHistoryEvent[]): string {
  const hash = createHash('sha256');
  for (const event of events)
    hash.update(HistoryEvent.encode(HistoryEvent.fromObject(event as object)).finish());
  return hash.digest('hex').slice(0, 16);
}

/** Every run of a workflow (following continue-as-new back from the current run), oldest first. */
async function runsOf(fetch: Fetch, workflowId: string): Promise<IHistoryEvent[][]> {
  const runs: IHistoryEvent[][] = [];
  let events = await fetch(workflowId);
  for (let guard = 0; guard < 100; guard++) {
    runs.unshift(events);
    const previous = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    if (!previous) break;
    events = await fetch(workflowId, previous);
  }
  return runs;
}

async function checkRuns(
  workflowId: string,
  runs: IHistoryEvent[][],
  registry: Readonly<Record<string, unknown>>,
  expected: {
    runs: number;
    result: number;
    closedBy?: number;
    /** The updates the last run must have accepted and completed, by update id, with their results. */
    acceptedUpdates: ReadonlyMap<string, number>;
  },
  out: WorkflowCheck,
): Promise<void> {
  if (runs.length !== expected.runs) out.failures.push(`${runs.length} runs, expected ${expected.runs}`);
  for (const [index, events] of runs.entries()) {
    const final = index === runs.length - 1;
    out.events += events.length;
    out.digests.push(digest(events));
    for (const problem of checkHistory(events)) out.failures.push(`run ${index + 1}: ${problem}`);
    for (const problem of checkUpdateEvents(events, final ? expected.acceptedUpdates : new Map()))
      out.failures.push(`run ${index + 1}: ${problem}`);
    const last = events[events.length - 1];
    if (!final && last?.eventType !== T.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW)
      out.failures.push(
        `run ${index + 1} closed with ${typeName(last?.eventType)}, expected CONTINUED_AS_NEW`,
      );
    if (final && expected.closedBy !== undefined) {
      if (last?.eventType !== expected.closedBy)
        out.failures.push(
          `closed with ${typeName(last?.eventType)}, expected ${typeName(expected.closedBy)}`,
        );
    } else if (final) {
      if (last?.eventType !== T.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED) {
        const failure = last?.workflowExecutionFailedEventAttributes?.failure?.message;
        out.failures.push(
          `closed with ${typeName(last?.eventType)}${failure ? ` (${failure})` : ''}, expected COMPLETED`,
        );
      } else {
        const [result] = fromPayloads(
          defaultPayloadConverter,
          last.workflowExecutionCompletedEventAttributes?.result,
        );
        if (result !== expected.result)
          out.failures.push(`result ${String(result)}, expected ${expected.result}`);
      }
    }
    const replay = await replayHistory(events, registry, { workflowId });
    if (replay.divergence)
      out.failures.push(`run ${index + 1}: replay diverged: ${replay.divergence.message}`);
    if (replay.taskFailure)
      out.failures.push(`run ${index + 1}: replay failed the task: ${(replay.taskFailure as Error).message}`);
  }
}

/** The updates of a workflow its code accepts: update id → the result it completes with. */
function acceptedUpdatesOf(spec: WorkflowSpec): Map<string, number> {
  const accepted = new Map<string, number>();
  (spec.updates ?? []).forEach((update, i) => {
    if (isAccepted(update)) accepted.set(updateIdOf(spec.workflowId, i), bumpResult(update.value ?? 0));
  });
  return accepted;
}

/**
 * Every accepted update has exactly one UpdateAccepted event and, after it, exactly one UpdateCompleted naming it,
 * with the result the code determines; no other update (rejected, unknown) left an event.
 */
export function checkUpdateEvents(
  events: readonly IHistoryEvent[],
  accepted: ReadonlyMap<string, number>,
): string[] {
  const problems: string[] = [];
  const acceptedAt = new Map<string, number>();
  const completed = new Map<string, unknown>();
  for (const event of events) {
    const id = toNumber(event.eventId) ?? 0;
    if (event.eventType === T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED) {
      const updateId =
        event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId ?? '';
      if (acceptedAt.has(updateId))
        problems.push(`update ${updateId} accepted twice (#${acceptedAt.get(updateId)}, #${id})`);
      else if (!accepted.has(updateId))
        problems.push(`update ${updateId} accepted (#${id}), its code rejects it`);
      acceptedAt.set(updateId, id);
    } else if (event.eventType === T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED) {
      const attributes = event.workflowExecutionUpdateCompletedEventAttributes;
      const updateId = attributes?.meta?.updateId ?? '';
      const acceptedEventId = toNumber(attributes?.acceptedEventId ?? 0) ?? 0;
      if (acceptedAt.get(updateId) !== acceptedEventId)
        problems.push(`update ${updateId} completed (#${id}) naming #${acceptedEventId}, not its acceptance`);
      if (completed.has(updateId)) problems.push(`update ${updateId} completed twice`);
      const [result] = attributes?.outcome?.success
        ? fromPayloads(defaultPayloadConverter, attributes.outcome.success)
        : [`failure ${attributes?.outcome?.failure?.message}`];
      completed.set(updateId, result);
    }
  }
  for (const [updateId, result] of accepted) {
    if (!acceptedAt.has(updateId)) problems.push(`update ${updateId} never accepted`);
    else if (!completed.has(updateId)) problems.push(`update ${updateId} accepted, never completed`);
    else if (completed.get(updateId) !== result)
      problems.push(
        `update ${updateId} completed with ${String(completed.get(updateId))}, expected ${result}`,
      );
  }
  return problems;
}

/**
 * What the client must have been answered for every update it sent: an accepted one its result, its second sending
 * the same; a refused or unknown one a rejection, or NOT_FOUND when it came after the run closed.
 */
export function checkUpdateOutcomes(
  spec: WorkflowSpec,
  outcomes: ReadonlyMap<string, string | undefined>,
): string[] {
  const problems: string[] = [];
  (spec.updates ?? []).forEach((update, i) => {
    const updateId = updateIdOf(spec.workflowId, i);
    const keys = update.againAtMs === undefined ? [updateId] : [updateId, `${updateId} again`];
    for (const key of keys) {
      const outcome = outcomes.get(key);
      if (isAccepted(update)) {
        const expected = `completed ${bumpResult(update.value ?? 0)}`;
        if (outcome !== expected)
          problems.push(`update ${key}: ${outcome ?? 'never answered'}, expected ${expected}`);
      } else if (outcome !== 'not found' && !outcome?.startsWith('rejected: ')) {
        problems.push(`update ${key}: ${outcome ?? 'never answered'}, expected a rejection`);
      }
    }
  });
  return problems;
}

function childResult(plan: Plan): number {
  return expectedResult({ workflowId: '', type: 'planned', plan, startAtMs: 0, signals: [] });
}

/** Closed exactly once with the result its code determines, valid histories, deterministic replay; children too. */
export async function checkWorkflow(
  spec: WorkflowSpec,
  fetch: Fetch,
  registry: Readonly<Record<string, unknown>>,
  query: (workflowId: string) => Promise<string>,
): Promise<WorkflowCheck> {
  const out: WorkflowCheck = { failures: [], events: 0, digests: [] };
  const runs = await runsOf(fetch, spec.workflowId);
  const terminated = spec.terminateAtMs !== undefined;
  await checkRuns(
    spec.workflowId,
    runs,
    registry,
    {
      runs: expectedRuns(spec),
      result: expectedResult(spec),
      ...(terminated ? { closedBy: T.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED } : {}),
      acceptedUpdates: acceptedUpdatesOf(spec),
    },
    out,
  );
  if (terminated) {
    // A closed run is queried through a worker, unless it closed before any workflow task completed.
    const ran = runs.at(-1)?.some((e) => e.eventType === T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) ?? false;
    const outcome = await query(spec.workflowId).then(
      (answer) => `answer ${answer}`,
      (error: Error & { code?: number }) => `error ${error.code}: ${error.message}`,
    );
    const expected = ran ? 'answer waiting' : 'error 9: Workflow closed before task started.';
    if (outcome !== expected) out.failures.push(`query after terminate: ${outcome}, expected ${expected}`);
    out.digests.push(outcome);
  }
  const child = spec.plan?.child;
  if (child) {
    for (let run = 0; run < expectedRuns(spec); run++) {
      const childId = `${spec.workflowId}-child-${run}`;
      const childRuns = await runsOf(fetch, childId);
      const childOut: WorkflowCheck = { failures: [], events: 0, digests: [] };
      await checkRuns(
        childId,
        childRuns,
        registry,
        { runs: 1, result: childResult(child), acceptedUpdates: new Map() },
        childOut,
      );
      out.failures.push(...childOut.failures.map((f) => `child ${childId}: ${f}`));
      out.events += childOut.events;
      out.digests.push(...childOut.digests);
    }
  }
  return out;
}
