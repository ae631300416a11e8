import type { temporal as T } from '@temporalio/proto';
import { EventType } from '../state/history-builder.js';
import { decodeMemo, decodeSearchAttributes, encodeMemo, encodeSearchAttributes } from '../util/codec.js';
import { Cause, CommandFailure } from './command-context.js';
import { checkedSearchAttributes } from './search-attributes.js';
import type { CommandContext } from './command-context.js';

export function recordMarker(
  ctx: CommandContext,
  attrs: T.api.command.v1.IRecordMarkerCommandAttributes | null | undefined,
): void {
  if (!attrs?.markerName) {
    throw new CommandFailure(
      Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES,
      'MarkerName is not set.',
    );
  }
  ctx.mut.addEvent(EventType.EVENT_TYPE_MARKER_RECORDED, {
    markerRecordedEventAttributes: {
      markerName: attrs.markerName,
      details: attrs.details ?? {},
      header: attrs.header ?? null,
      failure: attrs.failure ?? null,
      workflowTaskCompletedEventId: ctx.completedEventId,
    },
  });
}

/** Merges into the run's search attributes (an empty payload removes one) and rewrites visibility. */
export function upsertSearchAttributes(
  ctx: CommandContext,
  attrs: T.api.command.v1.IUpsertWorkflowSearchAttributesCommandAttributes | null | undefined,
): void {
  const fields = attrs?.searchAttributes?.indexedFields;
  if (!fields || Object.keys(fields).length === 0) {
    throw new CommandFailure(
      Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES,
      'UpsertWorkflowSearchAttributes needs at least one search attribute.',
    );
  }
  const checked = checkedSearchAttributes(ctx.searchAttributes, fields);
  const { mut } = ctx;
  const merged = { ...(decodeSearchAttributes(mut.ms.searchAttributes)?.indexedFields ?? {}) };
  for (const [name, attribute] of checked) {
    // A nil value (no data, null, an empty list) removes the attribute, as Temporal merges upserts.
    if (attribute.value === null) delete merged[name];
    else merged[name] = attribute.payload;
  }
  mut.ms.searchAttributes = encodeSearchAttributes({ indexedFields: merged });
  mut.visibilityChanged = true;
  mut.addEvent(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, {
    upsertWorkflowSearchAttributesEventAttributes: {
      workflowTaskCompletedEventId: ctx.completedEventId,
      searchAttributes: attrs?.searchAttributes ?? null,
    },
  });
}

/** Merges into the run's memo (an empty payload removes a key) and rewrites visibility. */
export function modifyWorkflowProperties(
  ctx: CommandContext,
  attrs: T.api.command.v1.IModifyWorkflowPropertiesCommandAttributes | null | undefined,
): void {
  const fields = attrs?.upsertedMemo?.fields;
  if (!fields) {
    throw new CommandFailure(
      Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_MODIFY_WORKFLOW_PROPERTIES_ATTRIBUTES,
      'ModifyWorkflowProperties needs an upserted memo.',
    );
  }
  const { mut } = ctx;
  const merged = { ...(decodeMemo(mut.ms.memo)?.fields ?? {}) };
  for (const [name, payload] of Object.entries(fields)) {
    if (!payload.data || payload.data.length === 0) delete merged[name];
    else merged[name] = payload;
  }
  mut.ms.memo = encodeMemo({ fields: merged });
  mut.visibilityChanged = true;
  mut.addEvent(EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED, {
    workflowPropertiesModifiedEventAttributes: {
      workflowTaskCompletedEventId: ctx.completedEventId,
      upsertedMemo: attrs?.upsertedMemo ?? null,
    },
  });
}
