// What the frontend advertises must match what it serves: an SDK acts on every flag it sees (sdk-core lets its polls
// run on at shutdown when `worker_poll_complete_on_shutdown` is set, the client uses schedules when
// `supports_schedules` is, …). Each flag is tied here to the handlers that make it true.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SchedulerApi } from '@odin/api';
import { FrontendService } from '../src/frontend-service.js';
import { WORKFLOW_SERVICE } from '../src/grpc-service.js';
import { fakeHistory, fakeMatching, fixture } from './fakes.js';

const W = WORKFLOW_SERVICE;

/** The RPCs a capability needs; a flag is on only when all of them are implemented. */
const SYSTEM_CAPABILITY_RPCS: Record<string, string[]> = {
  supportsSchedules: ['CreateSchedule', 'DescribeSchedule', 'ListSchedules', 'DeleteSchedule'],
  countGroupByExecutionStatus: ['CountWorkflowExecutions'],
  nexus: ['PollNexusTaskQueue', 'RespondNexusTaskCompleted', 'RespondNexusTaskFailed'],
  buildIdBasedVersioning: ['UpdateWorkerVersioningRules', 'GetWorkerVersioningRules'],
};

const NAMESPACE_CAPABILITY_RPCS: Record<string, string[]> = {
  syncUpdate: ['UpdateWorkflowExecution'],
  asyncUpdate: ['UpdateWorkflowExecution', 'PollWorkflowExecutionUpdate'],
  workerPollCompleteOnShutdown: ['ShutdownWorker'],
  workerHeartbeats: ['RecordWorkerHeartbeat'],
  standaloneActivities: ['StartActivityExecution'],
  workflowPause: ['PauseWorkflowExecution', 'UnpauseWorkflowExecution'],
};

async function setup() {
  const f = await fixture();
  return new FrontendService(f.ctx, {
    history: fakeHistory([]),
    matching: fakeMatching([]),
    // Every server assembly gives the frontend the schedule service; its calls are not made here.
    schedules: {} as SchedulerApi,
  });
}

describe('advertised capabilities', () => {
  test('GetSystemInfo sets a capability exactly when the RPCs behind it are served', async () => {
    const frontend = await setup();
    const implemented = new Set(frontend.implemented(W));
    const info = (await frontend.invoke(W, 'GetSystemInfo', {})) as { capabilities: Record<string, boolean> };
    for (const [flag, rpcs] of Object.entries(SYSTEM_CAPABILITY_RPCS)) {
      const served = rpcs.every((rpc) => implemented.has(rpc));
      assert.equal(
        info.capabilities[flag] === true,
        served,
        `${flag}: advertised ${info.capabilities[flag]}`,
      );
    }
  });

  test('DescribeNamespace sets a namespace capability exactly when the RPCs behind it are served', async () => {
    const frontend = await setup();
    const implemented = new Set(frontend.implemented(W));
    const described = (await frontend.invoke(W, 'DescribeNamespace', { namespace: 'default' })) as {
      namespaceInfo: { capabilities: Record<string, boolean> };
    };
    const capabilities = described.namespaceInfo.capabilities;
    for (const [flag, rpcs] of Object.entries(NAMESPACE_CAPABILITY_RPCS)) {
      const served = rpcs.every((rpc) => implemented.has(rpc));
      assert.equal(capabilities[flag] === true, served, `${flag}: advertised ${capabilities[flag]}`);
    }
    assert.equal(capabilities.workerPollCompleteOnShutdown, true);
  });
});

test('a frontend built without the schedule service does not advertise schedules', async () => {
  const f = await fixture();
  const frontend = new FrontendService(f.ctx, { history: fakeHistory([]), matching: fakeMatching([]) });
  assert.equal(frontend.implemented(W).includes('CreateSchedule'), false);
  const info = (await frontend.invoke(W, 'GetSystemInfo', {})) as { capabilities: Record<string, boolean> };
  assert.equal(info.capabilities.supportsSchedules, false);
});
