// What the tests of the frontend's gRPC port share: request encoding, a matching whose polls the test holds, a
// frontend listening on a free port for one test, and a bounded wait.
import assert from 'node:assert/strict';
import type { MatchingApi } from '@odin/api';
import { FrontendService, type ListenOptions } from '../../src/frontend-service.js';
import { encodeMessage, methodCodecs, WORKFLOW_SERVICE } from '../../src/grpc-service.js';
import { type Call, fakeHistory, fixture } from '../fakes.js';

export const codecs = new Map(methodCodecs(WORKFLOW_SERVICE).map((codec) => [codec.name, codec]));

/** A WorkflowService request message's bytes. */
export function request(method: string, value: object): Buffer {
  return encodeMessage(codecs.get(method)!.requestType, value);
}

export const POLL = request('PollWorkflowTaskQueue', { namespace: 'default', taskQueue: { name: 'q' } });

/** What matching sees of a poll's call context. */
export interface Poll {
  deadline?: number;
  correlationId?: string;
  signal: AbortSignal;
}

/** A matching whose workflow-task polls are recorded and answered by `answer` (never, by default). */
export function pollingMatching(polls: Poll[], answer?: (poll: Poll) => Promise<object>): MatchingApi {
  return {
    pollWorkflowTaskQueue: (_ns: unknown, _req: unknown, ctx: Poll) => {
      polls.push(ctx);
      return answer ? answer(ctx) : new Promise(() => undefined);
    },
  } as unknown as MatchingApi;
}

/** A frontend on a free port, stopped after the test. */
export async function started(
  t: { after(fn: () => Promise<void>): void },
  matching: MatchingApi,
  options: ListenOptions = {},
  calls: Call[] = [],
): Promise<{ frontend: FrontendService; port: number }> {
  const f = await fixture({ realTime: true });
  const frontend = new FrontendService(f.ctx, {
    history: fakeHistory(calls, () => ({ runId: 'r' })),
    matching,
  });
  t.after(() => frontend.stop(100));
  return { frontend, port: await frontend.listen('127.0.0.1', 0, options) };
}

/** Waits up to 2 s for `condition`. */
export async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(condition(), what);
}
