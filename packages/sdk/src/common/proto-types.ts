// Type-only aliases of the Temporal API messages the SDK reads and writes (runtime classes come from @odin/api/public).
import type { temporal } from '@temporalio/proto';

export type IPayload = temporal.api.common.v1.IPayload;
export type IPayloads = temporal.api.common.v1.IPayloads;
export type IFailure = temporal.api.failure.v1.IFailure;
export type IHistoryEvent = temporal.api.history.v1.IHistoryEvent;
export type IHistory = temporal.api.history.v1.IHistory;
export type ICommand = temporal.api.command.v1.ICommand;
export type IRetryPolicy = temporal.api.common.v1.IRetryPolicy;
export type IMemo = temporal.api.common.v1.IMemo;
export type ISearchAttributes = temporal.api.common.v1.ISearchAttributes;
export type IWorkflowExecution = temporal.api.common.v1.IWorkflowExecution;
export type IDuration = { seconds?: unknown; nanos?: number | null } | null | undefined;
