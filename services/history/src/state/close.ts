import { temporal } from '@odin/api';
import type { Mutation, EventTypeValue } from './history-builder.js';

const ParentClosePolicy = temporal.api.enums.v1.ParentClosePolicy;
import type { HistoryEvent } from '../util/codec.js';

/** Writes the run's terminal event (always the last event) and closes the run. */
export function closeRun(
  mut: Mutation,
  status: number,
  type: EventTypeValue,
  fields: Partial<HistoryEvent>,
): void {
  const ms = mut.ms;
  const event = mut.addEvent(type, fields);
  ms.status = status;
  ms.closeTime = mut.now;
  ms.completionEventId = Number(event.eventId);
  ms.workflowTask = undefined;
  ms.timers = {};
  ms.activities = {};
  mut.closed = true;
}

/**
 * Outbox work a closed run leaves behind, added to its closing transition: tell the parent (unless the chain goes
 * on in a new run), and apply the parent-close policy to children still open.
 */
export function addCloseTasks(mut: Mutation): void {
  const ms = mut.ms;
  if (ms.parent && !mut.newRun) mut.addTransferTask('close-execution', {});
  const children = Object.values(ms.children ?? {}).filter(
    (c) => c.parentClosePolicy !== ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON,
  );
  if (children.length > 0) {
    mut.addTransferTask('parent-close', {
      children: children.map((c) => ({
        workflowId: c.workflowId,
        runId: c.runId,
        policy: c.parentClosePolicy,
      })),
    });
  }
}
