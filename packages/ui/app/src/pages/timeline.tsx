import type { HistoryEvent, PendingActivityInfo } from '../api.js';
import { eventAttributes, formatDuration, formatTime, timeMs } from '../format.js';

type Outcome = 'running' | 'completed' | 'failed' | 'canceled' | 'timedout' | 'terminated' | 'fired';

/** One bar of the timeline: a workflow, activity, timer or child workflow from its first to its last event. */
export interface TimelineItem {
  key: string;
  kind: 'workflow' | 'activity' | 'timer' | 'child';
  label: string;
  detail: string;
  start: number;
  end: number | undefined;
  outcome: Outcome;
  /** Points in the bar (signals on the workflow row, the start of an activity's last attempt). */
  marks: { at: number; label: string }[];
}

const CLOSE_OUTCOME: Record<string, Outcome> = {
  COMPLETED: 'completed',
  FAILED: 'failed',
  TIMED_OUT: 'timedout',
  CANCELED: 'canceled',
  TERMINATED: 'terminated',
  FIRED: 'fired',
  CONTINUED_AS_NEW: 'completed',
};

function outcomeOf(eventType: string, prefix: string): Outcome | undefined {
  return eventType.startsWith(prefix) ? CLOSE_OUTCOME[eventType.slice(prefix.length)] : undefined;
}

/** Builds the timeline's rows from the loaded history (and the pending activities' current attempts). */
export function timelineItems(
  events: readonly HistoryEvent[],
  pending: readonly PendingActivityInfo[],
): TimelineItem[] {
  const items: TimelineItem[] = [];
  const bySchedule = new Map<string, TimelineItem>();
  const workflow: TimelineItem = {
    key: 'workflow',
    kind: 'workflow',
    label: 'Workflow',
    detail: '',
    start: timeMs(events[0]?.eventTime) ?? 0,
    end: undefined,
    outcome: 'running',
    marks: [],
  };
  items.push(workflow);
  for (const event of events) {
    const at = timeMs(event.eventTime) ?? workflow.start;
    const attrs = eventAttributes(event) as Record<string, unknown> & {
      scheduledEventId?: string;
      startedEventId?: string;
      initiatedEventId?: string;
      attempt?: number;
      activityId?: string;
      activityType?: { name?: string };
      timerId?: string;
      startToFireTimeout?: string;
      workflowId?: string;
      workflowType?: { name?: string };
      workflowExecution?: { workflowId?: string };
      signalName?: string;
    };
    const type = event.eventType;
    const workflowClose = outcomeOf(type, 'EVENT_TYPE_WORKFLOW_EXECUTION_');
    if (workflowClose && type !== 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED') {
      workflow.end = at;
      workflow.outcome = workflowClose;
    } else if (type === 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED') {
      workflow.marks.push({ at, label: `Signal ${attrs.signalName ?? ''}` });
    } else if (type === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED') {
      const item: TimelineItem = {
        key: `activity-${event.eventId}`,
        kind: 'activity',
        label: `${attrs.activityType?.name ?? 'Activity'}`,
        detail: `activity ${attrs.activityId ?? ''}`,
        start: at,
        end: undefined,
        outcome: 'running',
        marks: [],
      };
      bySchedule.set(event.eventId, item);
      items.push(item);
    } else if (type === 'EVENT_TYPE_ACTIVITY_TASK_STARTED') {
      const item = bySchedule.get(attrs.scheduledEventId ?? '');
      if (item) {
        const previous = (attrs.lastFailure as { message?: string } | undefined)?.message;
        item.detail += ` · attempt ${attrs.attempt ?? 1}${previous ? ` (after: ${previous})` : ''}`;
        item.marks.push({ at, label: `Attempt ${attrs.attempt ?? 1} started` });
      }
    } else if (type.startsWith('EVENT_TYPE_ACTIVITY_TASK_')) {
      const item = bySchedule.get(attrs.scheduledEventId ?? '');
      const outcome = outcomeOf(type, 'EVENT_TYPE_ACTIVITY_TASK_');
      if (item && outcome) {
        item.end = at;
        item.outcome = outcome;
      }
    } else if (type === 'EVENT_TYPE_TIMER_STARTED') {
      const item: TimelineItem = {
        key: `timer-${attrs.timerId}`,
        kind: 'timer',
        label: `Timer ${attrs.timerId ?? ''}`,
        detail: attrs.startToFireTimeout ?? '',
        start: at,
        end: undefined,
        outcome: 'running',
        marks: [],
      };
      bySchedule.set(`timer-${attrs.timerId}`, item);
      items.push(item);
    } else if (type === 'EVENT_TYPE_TIMER_FIRED' || type === 'EVENT_TYPE_TIMER_CANCELED') {
      const item = bySchedule.get(`timer-${attrs.timerId}`);
      if (item) {
        item.end = at;
        item.outcome = type === 'EVENT_TYPE_TIMER_FIRED' ? 'fired' : 'canceled';
      }
    } else if (type === 'EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED') {
      const item: TimelineItem = {
        key: `child-${event.eventId}`,
        kind: 'child',
        label: `Child ${attrs.workflowType?.name ?? ''}`,
        detail: attrs.workflowId ?? '',
        start: at,
        end: undefined,
        outcome: 'running',
        marks: [],
      };
      bySchedule.set(`child-${event.eventId}`, item);
      items.push(item);
    } else if (type.startsWith('EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_')) {
      const item = bySchedule.get(`child-${attrs.initiatedEventId}`);
      const outcome = outcomeOf(type, 'EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_');
      if (item && outcome) {
        item.end = at;
        item.outcome = outcome;
      } else if (item && type === 'EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED') {
        item.marks.push({ at, label: 'Child started' });
      }
    } else if (type === 'EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED') {
      const item = bySchedule.get(`child-${attrs.initiatedEventId}`);
      if (item) {
        item.end = at;
        item.outcome = 'failed';
      }
    }
  }
  for (const activity of pending) {
    const item = items.find(
      (i) => i.kind === 'activity' && i.detail.startsWith(`activity ${activity.activityId}`),
    );
    if (item && item.end === undefined) {
      item.detail = `activity ${activity.activityId} · attempt ${activity.attempt ?? 1}${
        activity.lastFailure?.message ? ` · last failure: ${activity.lastFailure.message}` : ''
      }`;
    }
  }
  return items;
}

export function Timeline({
  events,
  pending,
  now,
}: {
  events: readonly HistoryEvent[];
  pending: readonly PendingActivityInfo[];
  now: number;
}) {
  if (events.length === 0) return <p className="muted">No events yet.</p>;
  const items = timelineItems(events, pending);
  const start = items[0]!.start;
  const end = Math.max(
    start + 1,
    ...items.map((i) => i.end ?? now),
    ...items.flatMap((i) => i.marks.map((m) => m.at)),
  );
  const span = end - start;
  const pct = (t: number) => `${(((t - start) / span) * 100).toFixed(3)}%`;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => start + f * span);
  return (
    <div className="timeline" data-testid="timeline">
      <div className="timeline-row timeline-axis">
        <div className="timeline-label" />
        <div className="timeline-track">
          {ticks.map((t, i) => (
            <span key={t} className="timeline-tick" style={{ left: pct(t) }}>
              {i === 0 ? formatTime(new Date(t).toISOString()).slice(11) : `+${formatDuration(t - start)}`}
            </span>
          ))}
        </div>
      </div>
      {items.map((item) => {
        const itemEnd = item.end ?? now;
        return (
          <div key={item.key} className="timeline-row">
            <div className="timeline-label" title={item.detail}>
              <span className={`timeline-kind kind-${item.kind}`}>{item.kind}</span>
              <span className="timeline-name">{item.label}</span>
              <span className="timeline-detail">{item.detail}</span>
            </div>
            <div className="timeline-track">
              <div
                className={`timeline-bar outcome-${item.outcome}${item.end === undefined ? ' open' : ''}`}
                style={{ left: pct(item.start), width: `max(3px, ${pct(start + (itemEnd - item.start))})` }}
                title={`${item.label}: ${item.outcome}, ${formatDuration(itemEnd - item.start)}`}
              />
              {item.marks.map((mark) => (
                <span
                  key={`${mark.label}-${mark.at}`}
                  className="timeline-mark"
                  style={{ left: pct(mark.at) }}
                  title={mark.label}
                />
              ))}
            </div>
          </div>
        );
      })}
      <p className="muted small">
        Bars run from an item's first event to its close; open bars are still running. Dots mark signals and
        the start of an activity's recorded attempt.
      </p>
    </div>
  );
}
