/** Error codes Hugo emits, with the descriptor metadata every error carrying one of them receives. */
export const ErrorCodes = Object.freeze({
  Aggregate: 'error.aggregate',
  Canceled: 'error.canceled',
  ChannelCompleted: 'error.channel.completed',
  DeterministicReplay: 'error.deterministic.replay',
  Exception: 'error.exception',
  SelectDrained: 'error.select.drained',
  TaskQueueAbandoned: 'error.taskqueue.abandoned',
  TaskQueueDeadLettered: 'error.taskqueue.deadlettered',
  TaskQueueDisposed: 'error.taskqueue.disposed',
  TaskQueueLeaseExpired: 'error.taskqueue.lease_expired',
  TaskQueueLeaseInactive: 'error.taskqueue.lease_inactive',
  Timeout: 'error.timeout',
  Unspecified: 'error.unspecified',
  Validation: 'error.validation',
  VersionConflict: 'error.version.conflict',
} as const);

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface ErrorDescriptor {
  readonly name: string;
  readonly code: ErrorCode;
  readonly description: string;
  readonly category: 'General' | 'Channels' | 'Deterministic' | 'TaskQueue';
}

const descriptorList: readonly ErrorDescriptor[] = [
  {
    name: 'Aggregate',
    code: ErrorCodes.Aggregate,
    description: 'Several errors reported together.',
    category: 'General',
  },
  {
    name: 'Canceled',
    code: ErrorCodes.Canceled,
    description: 'The operation was canceled through its abort signal.',
    category: 'General',
  },
  {
    name: 'ChannelCompleted',
    code: ErrorCodes.ChannelCompleted,
    description: 'The channel was completed before the operation could finish.',
    category: 'Channels',
  },
  {
    name: 'DeterministicReplay',
    code: ErrorCodes.DeterministicReplay,
    description: 'A recorded deterministic effect does not match what the replaying code expects.',
    category: 'Deterministic',
  },
  {
    name: 'Exception',
    code: ErrorCodes.Exception,
    description: 'A thrown exception turned into an error value.',
    category: 'General',
  },
  {
    name: 'SelectDrained',
    code: ErrorCodes.SelectDrained,
    description: 'Every channel of a select completed without producing a value.',
    category: 'Channels',
  },
  {
    name: 'TaskQueueAbandoned',
    code: ErrorCodes.TaskQueueAbandoned,
    description: 'The task queue gave up on a work item.',
    category: 'TaskQueue',
  },
  {
    name: 'TaskQueueDeadLettered',
    code: ErrorCodes.TaskQueueDeadLettered,
    description: 'The work item was handed to the dead-letter handler.',
    category: 'TaskQueue',
  },
  {
    name: 'TaskQueueDisposed',
    code: ErrorCodes.TaskQueueDisposed,
    description: 'The task queue was used after it was disposed.',
    category: 'TaskQueue',
  },
  {
    name: 'TaskQueueLeaseExpired',
    code: ErrorCodes.TaskQueueLeaseExpired,
    description: 'The lease ran out before it was completed or extended.',
    category: 'TaskQueue',
  },
  {
    name: 'TaskQueueLeaseInactive',
    code: ErrorCodes.TaskQueueLeaseInactive,
    description: 'The lease has already ended and cannot be used any more.',
    category: 'TaskQueue',
  },
  {
    name: 'Timeout',
    code: ErrorCodes.Timeout,
    description: 'The operation did not finish within its deadline.',
    category: 'General',
  },
  {
    name: 'Unspecified',
    code: ErrorCodes.Unspecified,
    description: 'A failure of unknown kind.',
    category: 'General',
  },
  {
    name: 'Validation',
    code: ErrorCodes.Validation,
    description: 'An input or precondition was not valid.',
    category: 'General',
  },
  {
    name: 'VersionConflict',
    code: ErrorCodes.VersionConflict,
    description: 'The recorded or requested workflow version is outside the supported range.',
    category: 'Deterministic',
  },
];

const descriptors: ReadonlyMap<string, ErrorDescriptor> = new Map(descriptorList.map((d) => [d.code, d]));

export function tryGetErrorDescriptor(code: string): ErrorDescriptor | undefined {
  return descriptors.get(code);
}

export function errorDescriptors(): readonly ErrorDescriptor[] {
  return descriptorList;
}
