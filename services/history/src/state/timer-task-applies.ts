import type { OutboxTask } from '@odin/persistence';
import { readTaskData } from './history-builder.js';
import { isRunning } from './mutable-state.js';
import type { MutableState } from './mutable-state.js';

/**
 * False when a timer task certainly no longer applies to the run's committed state: its workflow task, activity or
 * timer is gone, or the run closed. States only move forward (a closed run stays closed; a workflow task, activity or
 * timer, once gone, does not come back under the same ids and attempt), so a task that does not apply now never
 * will. The timer executor checks this before building a transition, and the timer queue drops such tasks as soon as
 * a commit makes them stale. A run's deletion applies to the closed run it deletes.
 */
export function timerTaskApplies(ms: MutableState, task: OutboxTask): boolean {
  if (task.taskType === 'delete-execution') return true;
  if (!isRunning(ms)) return false;
  switch (task.taskType) {
    case 'workflow-task-timeout': {
      const data = readTaskData<{ scheduledEventId: number; attempt: number; startedTime?: number }>(task);
      const wft = ms.workflowTask;
      return (
        wft !== undefined &&
        wft.scheduledEventId === data.scheduledEventId &&
        wft.attempt === data.attempt &&
        (data.startedTime === undefined || data.startedTime === wft.startedTime)
      );
    }
    case 'workflow-task-schedule-to-start': {
      const data = readTaskData<{ scheduledEventId: number; attempt: number; scheduledTime?: number }>(task);
      const wft = ms.workflowTask;
      return (
        wft?.sticky === true &&
        wft.startedEventId === 0 &&
        wft.scheduledEventId === data.scheduledEventId &&
        wft.attempt === data.attempt &&
        (data.scheduledTime === undefined || data.scheduledTime === wft.scheduledTime)
      );
    }
    case 'user-timer': {
      const data = readTaskData<{ timerId: string; startedEventId: number }>(task);
      return ms.timers[data.timerId]?.startedEventId === data.startedEventId;
    }
    case 'activity-timeout':
    case 'activity-retry': {
      const data = readTaskData<{ scheduledEventId: number }>(task);
      return ms.activities[String(data.scheduledEventId)] !== undefined;
    }
    default:
      return true;
  }
}
