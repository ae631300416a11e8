import { durationToMs, toNumber } from '@odin/api';
import type { temporal as T } from '@temporalio/proto';
import { EventType } from '../state/history-builder.js';
import { decodeEvent, fromBase64 } from '../util/codec.js';
import { idLengthError } from '@odin/persistence';
import { Cause, CommandFailure } from './command-context.js';
import type { CommandContext } from './command-context.js';

export function startTimer(
  ctx: CommandContext,
  attrs: T.api.command.v1.IStartTimerCommandAttributes | null | undefined,
): void {
  const { mut } = ctx;
  const ms = mut.ms;
  if (!attrs?.timerId) {
    throw new CommandFailure(
      Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES,
      'TimerId is not set.',
    );
  }
  const idProblem = idLengthError(attrs.timerId, 'TimerId');
  if (idProblem)
    throw new CommandFailure(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES, idProblem);
  const durationMs = durationToMs(attrs.startToFireTimeout) ?? 0;
  if (durationMs <= 0) {
    throw new CommandFailure(
      Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES,
      'StartToFireTimeout must be greater than zero.',
    );
  }
  if (ms.timers[attrs.timerId]) {
    throw new CommandFailure(
      Cause.WORKFLOW_TASK_FAILED_CAUSE_START_TIMER_DUPLICATE_ID,
      `Timer id ${attrs.timerId} is already in use by a pending timer.`,
    );
  }
  const event = mut.addEvent(EventType.EVENT_TYPE_TIMER_STARTED, {
    timerStartedEventAttributes: {
      timerId: attrs.timerId,
      startToFireTimeout: attrs.startToFireTimeout ?? null,
      workflowTaskCompletedEventId: ctx.completedEventId,
    },
  });
  const startedEventId = Number(event.eventId);
  const expiryTime = mut.now + durationMs;
  ms.timers[attrs.timerId] = { timerId: attrs.timerId, startedEventId, expiryTime };
  mut.addTimerTask('user-timer', expiryTime, { timerId: attrs.timerId, startedEventId });
}

/**
 * TimerCanceled for a pending timer. A timer whose TimerFired is still buffered (the workflow has not seen it) is
 * cancelled too: the buffered event is dropped, as Temporal does.
 */
export function cancelTimer(
  ctx: CommandContext,
  attrs: T.api.command.v1.ICancelTimerCommandAttributes | null | undefined,
): void {
  const { mut } = ctx;
  const ms = mut.ms;
  const timerId = attrs?.timerId ?? '';
  let startedEventId = ms.timers[timerId]?.startedEventId;
  if (startedEventId !== undefined) {
    delete ms.timers[timerId];
  } else {
    const index = ms.bufferedEvents.findIndex((text) => {
      const ev = decodeEvent(fromBase64(text));
      return (
        ev.eventType === EventType.EVENT_TYPE_TIMER_FIRED && ev.timerFiredEventAttributes?.timerId === timerId
      );
    });
    if (index < 0) {
      throw new CommandFailure(
        Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES,
        `Timer ${timerId} is not pending.`,
      );
    }
    const fired = decodeEvent(fromBase64(ms.bufferedEvents[index]!));
    startedEventId = toNumber(fired.timerFiredEventAttributes?.startedEventId);
    ms.bufferedEvents.splice(index, 1);
  }
  mut.addEvent(EventType.EVENT_TYPE_TIMER_CANCELED, {
    timerCanceledEventAttributes: {
      timerId,
      startedEventId,
      workflowTaskCompletedEventId: ctx.completedEventId,
      identity: ctx.identity,
    },
  });
}
