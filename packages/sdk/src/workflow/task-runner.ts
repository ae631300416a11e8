import { temporal, timestampToMs, toNumber } from '@odin/api/public';
import { defaultPayloadConverter, fromPayloads, type PayloadConverter } from '../common/payload.js';
import type { ICommand, IHistoryEvent, IPayloads } from '../common/proto-types.js';
import { activate, answerQuery, deliver } from './activation.js';
import { WorkflowActivator } from './activator.js';
import type { PendingCommand } from './command-buffer.js';
import { commandMismatch, describeCommand, isCommandEvent, localActivitySeqOf } from './command-matching.js';
import { DeterminismViolationError } from './errors.js';
import { installDeterministicGlobals } from './globals.js';
import { type LocalActivityRunner, resolveLocalActivities } from './local-activity-driver.js';
import type { WorkflowInterceptorsFactory } from './interceptors.js';
import type { WorkflowRegistry } from './options.js';
import type { Headers } from '../common/interceptors.js';
import type { OutgoingUpdateMessage, UpdateRequest } from './updates.js';

const EventType = temporal.api.enums.v1.EventType;

/** One workflow task of a history: the events it delivers and, once completed, the command events it wrote. */
export interface Activation {
  /** The WorkflowTaskStarted event; its time is the workflow's time during the task. */
  readonly started: IHistoryEvent;
  readonly events: readonly IHistoryEvent[];
  /** The command events recorded after its WorkflowTaskCompleted; undefined for the task being worked on. */
  readonly recordedCommands: readonly IHistoryEvent[] | undefined;
  /** The updates the task accepted (from its UpdateAccepted events), delivered again after its events. */
  readonly updates: readonly UpdateRequest[];
}

/** The update an UpdateAccepted event recorded, as replay delivers it (its validator is not run again). */
function acceptedUpdate(event: IHistoryEvent): UpdateRequest {
  const attributes = event.workflowExecutionUpdateAcceptedEventAttributes;
  const request = attributes?.acceptedRequest;
  return {
    updateId: attributes?.protocolInstanceId || request?.meta?.updateId || '',
    name: request?.input?.name ?? '',
    args: request?.input?.args,
    headers: request?.input?.header?.fields ?? {},
  };
}

/** Splits a history into workflow tasks. Failed and timed-out task attempts deliver nothing (their events wait). */
export function splitActivations(history: readonly IHistoryEvent[]): Activation[] {
  const activations: Activation[] = [];
  let pending: IHistoryEvent[] = [];
  let current:
    | { started: IHistoryEvent; events: IHistoryEvent[]; recorded: IHistoryEvent[]; updates: UpdateRequest[] }
    | undefined;
  for (let i = 0; i < history.length; i++) {
    const event = history[i]!;
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED: {
        const next = history[i + 1];
        if (!next) {
          activations.push({ started: event, events: pending, recordedCommands: undefined, updates: [] });
          pending = [];
        } else if (next.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) {
          current = { started: event, events: pending, recorded: [], updates: [] };
          activations.push({
            started: event,
            events: pending,
            recordedCommands: current.recorded,
            updates: current.updates,
          });
          pending = [];
        }
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
      case EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
      case EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
        break;
      default:
        if (isCommandEvent(event)) {
          current?.recorded.push(event);
          if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
            current?.updates.push(acceptedUpdate(event));
        } else pending.push(event);
    }
  }
  return activations;
}

export interface QueryRequest {
  readonly id: string;
  readonly queryType: string;
  readonly args?: IPayloads | null;
  readonly headers?: Headers;
}

export type QueryOutcome = { ok: true; answer: IPayloads | undefined } | { ok: false; message: string };

export interface WorkflowTaskInput {
  namespace: string;
  workflowId: string;
  runId: string;
  /** Taken from WorkflowExecutionStarted when empty. */
  workflowType?: string;
  history: readonly IHistoryEvent[];
  workflows: WorkflowRegistry;
  converter?: PayloadConverter;
  /** Queries answered after the run is brought up to date. */
  queries?: readonly QueryRequest[];
  /** Runs the local activities of the open task; without it they stay unresolved (a replay needs none). */
  localActivities?: LocalActivityRunner;
  /** Makes each run's workflow interceptors. */
  interceptors?: readonly WorkflowInterceptorsFactory[];
  /** Updates the open task's protocol messages deliver (validated, then accepted or rejected). */
  updates?: readonly UpdateRequest[];
}

export interface WorkflowTaskOutcome {
  /** Commands of the task being worked on (empty when the history holds no open task). */
  commands: ICommand[];
  /** Set when replay diverged from history. */
  nondeterminism?: DeterminismViolationError;
  /** Set when workflow code threw something that fails the task rather than the workflow. */
  taskFailure?: unknown;
  queryResults: Map<string, QueryOutcome>;
  /** The open task's protocol messages (update acceptances, rejections, completions), in the order issued. */
  messages: OutgoingUpdateMessage[];
  /** Activations that re-executed completed tasks. */
  replayed: number;
  /** The commands every activation produced, in order (the determinism check compares two of these). */
  trace: ICommand[][];
  /** The open task this outcome answered, when there was one (what a run cache resumes from). */
  live?: LiveActivation;
  /** History events this task went through: delivered to the run or matched against its commands (replay cost). */
  eventsApplied: number;
  activator: WorkflowActivator;
}

/** The open activation a completed task left behind: what a cached run needs to continue with the next task. */
export interface LiveActivation {
  readonly startedEventId: number;
  readonly produced: readonly PendingCommand[];
  /** How many events the task delivered to the run (a discarded speculative task must have delivered none). */
  readonly deliveredEvents: number;
}

/**
 * Re-executes a workflow from the start of its history: every completed workflow task is replayed and its
 * commands checked against the recorded command events; the open task (if any) yields the new commands.
 */
export async function runWorkflowTask(input: WorkflowTaskInput): Promise<WorkflowTaskOutcome> {
  installDeterministicGlobals();
  const converter = input.converter ?? defaultPayloadConverter;
  const activator = new WorkflowActivator(
    input.workflows,
    converter,
    {
      namespace: input.namespace,
      workflowId: input.workflowId,
      runId: input.runId,
      workflowType: input.workflowType ?? '',
    },
    input.history,
    input.interceptors ?? [],
  );
  return drive(activator, splitActivations(input.history), converter, input);
}

/**
 * Continues a run kept in memory since its previous task (no replay): checks that history recorded exactly the
 * commands that task produced, then applies only the newer events. Undefined when history does not continue
 * from there (a failed or timed-out task, another worker's task): the caller replays from the start instead.
 */
export async function resumeWorkflowTask(
  activator: WorkflowActivator,
  previous: LiveActivation,
  input: Pick<WorkflowTaskInput, 'history' | 'queries' | 'converter' | 'localActivities' | 'updates'>,
): Promise<WorkflowTaskOutcome | undefined> {
  const history = input.history;
  // The history may be whole or only what followed the previous task (a sticky task's partial history).
  const firstId = toNumber(history[0]?.eventId);
  const completedIndex = previous.startedEventId + 1 - firstId;
  if (completedIndex < 0) return undefined;
  if (history[completedIndex]?.eventType !== EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) return undefined;
  let next = completedIndex + 1;
  const recorded: IHistoryEvent[] = [];
  while (next < history.length && isCommandEvent(history[next]!)) recorded.push(history[next++]!);
  if (recorded.length !== previous.produced.length) return undefined;
  for (let i = 0; i < recorded.length; i++) {
    if (commandMismatch(previous.produced[i]!.command, recorded[i]!)) return undefined;
  }
  for (let i = 0; i < recorded.length; i++) previous.produced[i]!.onMatched?.(recorded[i]!);
  const outcome = await drive(
    activator,
    splitActivations(history.slice(next)),
    input.converter ?? defaultPayloadConverter,
    input,
  );
  outcome.eventsApplied += recorded.length;
  return outcome;
}

/**
 * Checks a replayed task's commands against the command events history recorded for it. Local activity markers
 * are matched by sequence number rather than position: local activities that run concurrently record their
 * markers in the order they finished, which a replay cannot know (core matches them the same way).
 */
function matchRecorded(
  produced: readonly PendingCommand[],
  recorded: readonly IHistoryEvent[],
  started: IHistoryEvent,
): DeterminismViolationError | undefined {
  const producedMarkers = new Map<number, PendingCommand>();
  for (const command of produced) {
    const seq = localActivitySeqOf(command.command);
    if (seq !== undefined) producedMarkers.set(seq, command);
  }
  for (const event of recorded) {
    const seq = localActivitySeqOf(event);
    if (seq === undefined) continue;
    const command = producedMarkers.get(seq);
    if (!command) {
      return new DeterminismViolationError('History has a local activity the workflow no longer runs', event);
    }
    producedMarkers.delete(seq);
    const mismatch = commandMismatch(command.command, event);
    if (mismatch)
      return new DeterminismViolationError(`Replay diverged: ${mismatch}`, event, command.command);
  }
  const [extra] = producedMarkers.values();
  if (extra) {
    return new DeterminismViolationError(
      `Workflow ran a local activity not in history (after event #${toNumber(started.eventId) + 1} WorkflowTaskCompleted)`,
      undefined,
      extra.command,
    );
  }
  return matchInOrder(
    produced.filter((p) => localActivitySeqOf(p.command) === undefined),
    recorded.filter((e) => localActivitySeqOf(e) === undefined),
    started,
  );
}

function matchInOrder(
  produced: readonly PendingCommand[],
  recorded: readonly IHistoryEvent[],
  started: IHistoryEvent,
): DeterminismViolationError | undefined {
  for (let i = 0; i < Math.max(produced.length, recorded.length); i++) {
    const command = produced[i];
    const event = recorded[i];
    if (!command)
      return new DeterminismViolationError('History has an event the workflow no longer produces', event);
    if (!event) {
      return new DeterminismViolationError(
        `Workflow produced a command not in history (after event #${toNumber(started.eventId) + 1} WorkflowTaskCompleted)`,
        undefined,
        command.command,
      );
    }
    const mismatch = commandMismatch(command.command, event);
    if (mismatch)
      return new DeterminismViolationError(`Replay diverged: ${mismatch}`, event, command.command);
    command.onMatched?.(event);
  }
  return undefined;
}

async function drive(
  activator: WorkflowActivator,
  activations: readonly Activation[],
  converter: PayloadConverter,
  input: Pick<WorkflowTaskInput, 'queries' | 'localActivities' | 'updates'>,
): Promise<WorkflowTaskOutcome> {
  const queries = input.queries ?? [];
  const outcome: WorkflowTaskOutcome = {
    commands: [],
    queryResults: new Map(),
    messages: [],
    replayed: 0,
    trace: [],
    activator,
    eventsApplied: 0,
  };
  for (const activation of activations) {
    activator.replaying = activation.recordedCommands !== undefined;
    outcome.eventsApplied += activation.events.length + (activation.recordedCommands?.length ?? 0);
    await activate(
      activator,
      activation.events,
      timestampToMs(activation.started.eventTime) ?? 0,
      toNumber(activation.started.eventId),
    );
    // Updates come after the task's events (their sequencing event is the last one before the task started), once
    // the workflow blocked: live from the task's messages, on replay from the task's UpdateAccepted events.
    const updates = activation.recordedCommands ? activation.updates : (input.updates ?? []);
    if (updates.length > 0 && activator.taskFailure === undefined) {
      await deliver(activator, () => {
        for (const update of updates) activator.updates.deliver(update);
      });
    }
    await resolveLocalActivities(activator, activation.recordedCommands, input.localActivities);
    const produced = activator.commands.take();
    const messages = activator.updates.takeMessages();
    outcome.trace.push(produced.map((p) => p.command));
    if (activator.taskFailure !== undefined) {
      if (activator.taskFailure instanceof DeterminismViolationError)
        outcome.nondeterminism = activator.taskFailure;
      else outcome.taskFailure = activator.taskFailure;
      return outcome;
    }
    if (!activation.recordedCommands) {
      outcome.commands = produced.map((p) => p.command);
      outcome.messages = messages;
      outcome.live = {
        startedEventId: toNumber(activation.started.eventId),
        produced,
        deliveredEvents: activation.events.length,
      };
      break;
    }
    outcome.replayed++;
    const divergence = matchRecorded(produced, activation.recordedCommands, activation.started);
    if (divergence) {
      outcome.nondeterminism = divergence;
      return outcome;
    }
  }
  for (const query of queries) {
    try {
      const value = await answerQuery(
        activator,
        query.queryType,
        fromPayloads(converter, query.args),
        query.headers ?? {},
        query.id,
      );
      outcome.queryResults.set(query.id, { ok: true, answer: { payloads: [converter.toPayload(value)] } });
    } catch (error) {
      outcome.queryResults.set(query.id, { ok: false, message: (error as Error)?.message ?? String(error) });
    }
  }
  return outcome;
}

export { describeCommand };
