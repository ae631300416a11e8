import { temporal } from '@odin/api';
import type { HistoryEvent } from '../util/codec.js';
import { EventType } from './history-builder.js';
import type { Mutation } from './history-builder.js';
import { rememberSignalRequest } from './signal.js';
import { recordAdmittedUpdate } from './updates.js';

const ReapplyType = temporal.api.enums.v1.ResetReapplyType;
const ExcludeType = temporal.api.enums.v1.ResetReapplyExcludeType;
const AdmittedOrigin = temporal.api.enums.v1.UpdateAdmittedEventOrigin;

/**
 * The kinds of event a reset does not apply again, from the request's exclude list and its deprecated reapply type
 * (Temporal's reading: SIGNAL reapplies signals only, NONE nothing, unset or ALL_ELIGIBLE everything eligible).
 */
export function reapplyExclusions(
  reapplyType: number | null | undefined,
  excludeTypes: readonly number[] | null | undefined,
): Set<number> {
  const excluded = new Set<number>(excludeTypes ?? []);
  if (reapplyType === ReapplyType.RESET_REAPPLY_TYPE_SIGNAL) {
    excluded.add(ExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE);
  } else if (reapplyType === ReapplyType.RESET_REAPPLY_TYPE_NONE) {
    excluded.add(ExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL);
    excluded.add(ExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE);
  }
  return excluded;
}

function admittedUpdateId(e: HistoryEvent): string {
  return e.workflowExecutionUpdateAdmittedEventAttributes?.request?.meta?.updateId ?? '';
}

/**
 * The events after the reset point (`after`, in order) that the new run gets again: signals, and updates the base
 * run admitted or accepted there (an accepted one comes back as admitted: the workflow decides on it again), unless
 * excluded. An update whose Admitted event is in the kept history, or already among those chosen, is not repeated
 * by its Accepted event: the worker receives it from that Admitted event.
 */
export function reappliedEvents(
  kept: readonly HistoryEvent[],
  after: readonly HistoryEvent[],
  excluded: ReadonlySet<number>,
): HistoryEvent[] {
  const signals = !excluded.has(ExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL);
  const updates = !excluded.has(ExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE);
  const admitted = new Set(
    kept
      .filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED)
      .map(admittedUpdateId),
  );
  const chosen: HistoryEvent[] = [];
  for (const e of after) {
    switch (e.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        if (signals) chosen.push(e);
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED: {
        const updateId = admittedUpdateId(e);
        if (updates && !admitted.has(updateId)) {
          admitted.add(updateId);
          chosen.push(e);
        }
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: {
        const attrs = e.workflowExecutionUpdateAcceptedEventAttributes;
        const updateId = attrs?.protocolInstanceId ?? '';
        if (updates && attrs?.acceptedRequest && !admitted.has(updateId)) {
          admitted.add(updateId);
          chosen.push(e);
        }
        break;
      }
      default:
        break;
    }
  }
  return chosen;
}

/**
 * Writes the chosen events into the new run: a signal as it was (its request id remembered, so a retry of the
 * original request is still recognised); an update as WorkflowExecutionUpdateAdmitted with its request, origin
 * REAPPLY when it was accepted in the base run, for the worker to validate and run again (remembered in mutable
 * state, so the update registry knows it before a worker accepts it).
 */
export function writeReapplied(mut: Mutation, events: readonly HistoryEvent[]): void {
  for (const e of events) {
    switch (e.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: {
        const attrs = e.workflowExecutionSignaledEventAttributes;
        mut.addEvent(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, {
          workflowExecutionSignaledEventAttributes: attrs ?? null,
        });
        rememberSignalRequest(mut, attrs?.requestId ?? '');
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED: {
        const admitted = mut.addEvent(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED, {
          workflowExecutionUpdateAdmittedEventAttributes:
            e.workflowExecutionUpdateAdmittedEventAttributes ?? null,
        });
        recordAdmittedUpdate(mut.ms, admittedUpdateId(e), Number(admitted.eventId));
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: {
        const request = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest ?? null;
        const admitted = mut.addEvent(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED, {
          workflowExecutionUpdateAdmittedEventAttributes: {
            request,
            origin: AdmittedOrigin.UPDATE_ADMITTED_EVENT_ORIGIN_REAPPLY,
          },
        });
        recordAdmittedUpdate(mut.ms, request?.meta?.updateId ?? '', Number(admitted.eventId));
        break;
      }
      default:
        throw new Error(`event type ${e.eventType} is not reapplied by a reset`);
    }
  }
}
