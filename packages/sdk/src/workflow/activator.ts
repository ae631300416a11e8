import type { PayloadConverter } from '../common/payload.js';
import type { IHistoryEvent } from '../common/proto-types.js';
import { Activities, ActivitySequence } from './activities.js';
import { CancellationScope } from './cancellation-scope.js';
import { ChildWorkflows } from './child-workflows.js';
import { CommandBuffer } from './command-buffer.js';
import { Conditions } from './conditions.js';
import { eventTableOf, type RunFamilies } from './event-handlers.js';
import type { EventTable } from './event-table.js';
import { Execution } from './execution.js';
import { ExternalWorkflows } from './external-workflows.js';
import { LocalActivities } from './local-activities.js';
import { Markers } from './markers.js';
import { composeInterceptors } from '../common/interceptors.js';
import type {
  SignalWorkflowInput,
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptorsFactory,
  WorkflowOutboundCallsInterceptor,
} from './interceptors.js';
import type { WorkflowRegistry } from './options.js';
import { seededRandom, uuid4From } from './random.js';
import { sharedStorage } from './shared-storage.js';
import { SignalsAndQueries } from './signals-and-queries.js';
import { Timers } from './timers.js';
import { Updates } from './updates.js';
import { type RunIdentity, type WorkflowInfo, workflowInfoOf } from './workflow-info.js';

/** The run whose workflow code is executing; carried through its promise continuations. */
export const activatorStorage = sharedStorage<WorkflowActivator>('odin.sdk.workflow.activator');

/**
 * The state of one workflow run while its history is replayed and its next commands are produced: the run's
 * facts, time and random source, the commands it issues, and its families — the execution itself, timers,
 * activities, child and external workflows, signals and queries, conditions, markers — each of which owns its
 * pending work and the history events that settle it (the event table). `activation.ts` drives it.
 */
export class WorkflowActivator implements RunFamilies {
  readonly info: WorkflowInfo;
  /** Workflow time: the current workflow task's WorkflowTaskStarted time. */
  now = 0;
  readonly random: () => number;
  /** True while re-executing a workflow task that history already completed. */
  replaying = false;
  readonly commands = new CommandBuffer(() => activatorStorage.getStore() !== undefined);
  readonly timers = new Timers(this.commands);
  readonly rootScope = new CancellationScope({ cancellable: true, timers: this.timers });
  readonly execution: Execution;
  readonly signals: SignalsAndQueries;
  readonly updates: Updates;
  readonly conditions: Conditions;
  readonly activities: Activities;
  readonly localActivities: LocalActivities;
  readonly externals: ExternalWorkflows;
  readonly children: ChildWorkflows;
  readonly markers: Markers;
  readonly events: EventTable;
  /** This run's interceptors, made by the worker's factories when the workflow starts. */
  inbound: WorkflowInboundCallsInterceptor[] = [];
  outbound: WorkflowOutboundCallsInterceptor[] = [];

  constructor(
    readonly workflows: WorkflowRegistry,
    readonly converter: PayloadConverter,
    base: RunIdentity,
    history: readonly IHistoryEvent[],
    interceptors: readonly WorkflowInterceptorsFactory[] = [],
  ) {
    this.info = workflowInfoOf(base, history, converter);
    // Seeded from the original run id, which every replay of this run (and a reset of it) sees.
    this.random = seededRandom(this.info.originalExecutionRunId || base.runId);
    this.execution = new Execution(this.commands, converter, this.info, workflows, this.rootScope, {
      prepare: () => {
        for (const factory of interceptors) {
          const made = factory();
          this.inbound.push(...(made.inbound ?? []));
          this.outbound.push(...(made.outbound ?? []));
        }
      },
      inbound: () => this.inbound,
    });
    const fail = (error: unknown) => this.execution.failWith(error);
    this.signals = new SignalsAndQueries(converter, fail, () => this.inbound);
    this.updates = new Updates(
      this.commands,
      converter,
      (error) => this.execution.failTask(error),
      () => this.inbound,
    );
    this.conditions = new Conditions(this.timers, fail);
    const activitySequence = new ActivitySequence();
    this.activities = new Activities(this.commands, converter, this.info.taskQueue, activitySequence);
    this.localActivities = new LocalActivities(this.commands, converter, activitySequence, (ms) => {
      this.now = ms;
    });
    this.externals = new ExternalWorkflows(this.commands, converter, this.info.namespace);
    this.children = new ChildWorkflows(this.commands, this.externals, {
      namespace: this.info.namespace,
      taskQueue: this.info.taskQueue,
      converter,
      uuid4: () => this.uuid4(),
    });
    this.children.signalChild = (workflowId, runId, signalName, args) =>
      this.signalWorkflow({ workflowId, runId, signalName, args, childWorkflowOnly: true, headers: {} });
    this.markers = new Markers(this.commands, converter, history);
    this.events = eventTableOf(this);
  }

  /** True once a command ended the run. */
  get isCompleted(): boolean {
    return this.commands.completed;
  }

  /** A bug in the workflow code (or an event this SDK cannot handle): the task fails instead of the workflow. */
  get taskFailure(): unknown {
    return this.execution.taskFailure;
  }

  /** True when no signal or update handler is still running (`allHandlersFinished`). */
  get allHandlersFinished(): boolean {
    return this.updates.inFlight === 0 && this.signals.inFlight === 0;
  }

  /** Signals another workflow through the run's outbound `signalWorkflow` interceptors. */
  signalWorkflow(input: SignalWorkflowInput): Promise<void> {
    const signal = composeInterceptors(this.outbound, 'signalWorkflow', (call) =>
      this.externals.signal(
        call.workflowId,
        call.runId,
        call.signalName,
        call.args,
        call.childWorkflowOnly,
        call.headers,
      ),
    );
    return signal(input);
  }

  uuid4(): string {
    return uuid4From(this.random);
  }
}
