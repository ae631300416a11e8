import { useEffect, useState } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import {
  ApiError,
  describeWorkflow,
  type Execution,
  type Failure,
  type HistoryEvent,
  queryWorkflow,
  workflowHistory,
} from '../api.js';
import {
  Card,
  ErrorBox,
  JsonView,
  KeyValues,
  Spinner,
  StatusBadge,
  Tabs,
  useCall,
} from '../components/common.js';
import {
  durationMs,
  enumLabel,
  eventAttributes,
  eventLabel,
  formatDuration,
  formatTime,
  payloadList,
  payloadValue,
  timeMs,
} from '../format.js';
import { currentNamespace, pathSegments, taskQueuePath, workflowPath } from '../paths.js';
import { WorkflowActions } from './actions.js';
import { Timeline } from './timeline.js';

type Tab = 'history' | 'timeline' | 'pending' | 'children' | 'stack' | 'memo';

/** Every page of the run's history, loaded page by page (each page's next_page_token asks for the next). */
function useHistory(namespace: string, execution: Execution, reloadKey: number) {
  const [events, setEvents] = useState<HistoryEvent[]>([]);
  const [nextToken, setNextToken] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [more, setMore] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the run's ids and reloadKey restart from the first page.
  useEffect(() => {
    let cancelled = false;
    setLoading(true);
    (async () => {
      const loaded: HistoryEvent[] = [];
      let token = '';
      // Up to 2,000 events at once; the rest come with "Load more" (a long history stays responsive).
      for (let page = 0; page < 8; page++) {
        const response = await workflowHistory(namespace, execution, token);
        loaded.push(...(response.history?.events ?? []));
        token = response.nextPageToken ?? '';
        if (!token) break;
      }
      if (cancelled) return;
      setEvents(loaded);
      setNextToken(token || undefined);
      setError(undefined);
    })()
      .catch((failure: unknown) => !cancelled && setError(failure))
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
  }, [namespace, execution.workflowId, execution.runId, reloadKey]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a click on "Load more" loads the next page.
  useEffect(() => {
    if (more === 0 || !nextToken) return;
    workflowHistory(namespace, execution, nextToken).then((response) => {
      setEvents((previous) => [...previous, ...(response.history?.events ?? [])]);
      setNextToken(response.nextPageToken || undefined);
    }, setError);
  }, [more]);
  return { events, nextToken, error, loading, loadMore: () => setMore((m) => m + 1) };
}

function FailureView({ failure }: { failure: Failure | undefined }) {
  if (!failure) return null;
  return (
    <div className="failure">
      <div className="failure-message">{failure.message}</div>
      {failure.applicationFailureInfo?.type ? (
        <div className="muted small">type {failure.applicationFailureInfo.type}</div>
      ) : null}
      {failure.stackTrace ? <pre className="json small">{failure.stackTrace}</pre> : null}
      {failure.cause ? (
        <div className="failure-cause">
          <span className="muted small">caused by</span>
          <FailureView failure={failure.cause} />
        </div>
      ) : null}
    </div>
  );
}

/** What the run closed with, from its close event. */
function Outcome({ event }: { event: HistoryEvent | undefined }) {
  if (
    !event?.eventType.startsWith('EVENT_TYPE_WORKFLOW_EXECUTION_') ||
    event.eventType.endsWith('STARTED') ||
    event.eventType.endsWith('SIGNALED') ||
    event.eventType.endsWith('CANCEL_REQUESTED')
  ) {
    return <span className="muted">The workflow has not closed yet.</span>;
  }
  const attrs = eventAttributes(event) as {
    result?: unknown;
    failure?: Failure;
    reason?: string;
    details?: unknown;
    newExecutionRunId?: string;
  };
  switch (event.eventType) {
    case 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED':
      return <JsonView value={payloadList(attrs.result)} empty="no result" />;
    case 'EVENT_TYPE_WORKFLOW_EXECUTION_FAILED':
      return <FailureView failure={attrs.failure} />;
    case 'EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED':
      return (
        <div>
          <div>Terminated{attrs.reason ? `: ${attrs.reason}` : ''}</div>
          {attrs.details ? <JsonView value={payloadList(attrs.details)} /> : null}
        </div>
      );
    case 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED':
      return <div>Canceled {attrs.details ? <JsonView value={payloadList(attrs.details)} /> : null}</div>;
    case 'EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT':
      return <div>Timed out</div>;
    case 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW':
      return <div>Continued as new run {attrs.newExecutionRunId}</div>;
    default:
      return <JsonView value={attrs} />;
  }
}

function HistoryTable({ events }: { events: readonly HistoryEvent[] }) {
  const [expanded, setExpanded] = useState<string>();
  const first = timeMs(events[0]?.eventTime) ?? 0;
  return (
    <table className="table history" data-testid="history-table">
      <thead>
        <tr>
          <th>Id</th>
          <th>Time</th>
          <th>Elapsed</th>
          <th>Event</th>
          <th>Details</th>
        </tr>
      </thead>
      <tbody>
        {events.map((event) => {
          const attrs = eventAttributes(event);
          const open = expanded === event.eventId;
          const summary = JSON.stringify(attrs);
          return (
            <tr key={event.eventId} className={`event-${eventCategory(event.eventType)}`}>
              <td className="mono">{event.eventId}</td>
              <td className="nowrap">{formatTime(event.eventTime)}</td>
              <td className="nowrap muted">{formatDuration((timeMs(event.eventTime) ?? first) - first)}</td>
              <td className="nowrap event-name">{eventLabel(event.eventType)}</td>
              <td className="event-details">
                <button
                  type="button"
                  className="linklike"
                  onClick={() => setExpanded(open ? undefined : event.eventId)}
                >
                  {open ? 'hide' : summary.length > 110 ? `${summary.slice(0, 110)}…` : summary}
                </button>
                {open ? <JsonView value={attrs} /> : null}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function eventCategory(type: string): string {
  if (type.includes('ACTIVITY')) return 'activity';
  if (type.includes('TIMER')) return 'timer';
  if (type.includes('CHILD')) return 'child';
  if (type.includes('WORKFLOW_TASK')) return 'task';
  if (type.includes('SIGNAL')) return 'signal';
  return 'workflow';
}

function StackTrace({ namespace, execution }: { namespace: string; execution: Execution }) {
  const [state, setState] = useState<{ loading?: boolean; value?: unknown; error?: unknown }>({});
  const run = () => {
    setState({ loading: true });
    queryWorkflow(namespace, execution, '__stack_trace', []).then(
      (answer) => setState({ value: payloadList(answer.queryResult) }),
      (error: unknown) => setState({ error }),
    );
  };
  return (
    <div className="stack">
      <div>
        <button type="button" className="button" onClick={run} disabled={state.loading}>
          {state.loading ? 'Querying…' : 'Query __stack_trace'}
        </button>
      </div>
      <ErrorBox error={state.error} title="The worker did not answer the stack trace query" />
      {state.value !== undefined ? (
        <pre className="json">
          {(state.value as unknown[])
            .map((v) => (typeof v === 'string' ? v : JSON.stringify(v, null, 2)))
            .join('\n')}
        </pre>
      ) : null}
    </div>
  );
}

export function WorkflowDetailPage() {
  const [location] = useLocation();
  const search = new URLSearchParams(useSearch());
  const [, navigate] = useLocation();
  const namespace = currentNamespace(location);
  const segments = pathSegments();
  const workflowId = segments[3] ?? '';
  const runId = segments[4];
  const execution: Execution = runId ? { workflowId, runId } : { workflowId };
  const tab = (search.get('tab') as Tab | null) ?? 'history';
  const [reloadKey, setReloadKey] = useState(0);
  const describe = useCall(
    () => describeWorkflow(namespace, execution),
    [namespace, workflowId, runId, reloadKey],
  );
  const history = useHistory(namespace, execution, reloadKey);
  const [now, setNow] = useState(() => Date.now());
  // biome-ignore lint/correctness/useExhaustiveDependencies: "now" is re-read whenever fresh data arrives.
  useEffect(() => setNow(Date.now()), [describe.data, history.events]);

  const info = describe.data?.workflowExecutionInfo;
  const running = info?.status === 'WORKFLOW_EXECUTION_STATUS_RUNNING';
  // A running workflow's page follows it: summary, history and pending work are reloaded every few seconds.
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setReloadKey((k) => k + 1), 2500);
    return () => clearInterval(timer);
  }, [running]);
  const events = history.events;
  const started = events[0];
  const startAttrs = started
    ? (eventAttributes(started) as { input?: unknown; parentWorkflowExecution?: Execution })
    : {};
  const closeEvent = events.length > 0 && !running ? events[events.length - 1] : undefined;
  const pending = describe.data?.pendingActivities ?? [];
  const children = childRows(events, describe.data?.pendingChildren ?? []);
  const start = timeMs(info?.startTime);
  const close = timeMs(info?.closeTime);
  const memo = Object.entries(info?.memo?.fields ?? {});
  const attributes = Object.entries(info?.searchAttributes?.indexedFields ?? {});
  const resolvedRunId = info?.execution.runId ?? runId;

  if (describe.error instanceof ApiError && describe.error.code === 5) {
    return <ErrorBox error={describe.error} title={`Workflow ${workflowId} was not found`} />;
  }
  return (
    <div className="stack">
      <div className="detail-header">
        <div>
          <h1 className="page-title">
            <span className="mono" data-testid="workflow-id">
              {workflowId}
            </span>
            {info ? <StatusBadge status={info.status} /> : null}
          </h1>
          <div className="muted mono small">run {resolvedRunId}</div>
        </div>
        <WorkflowActions
          namespace={namespace}
          execution={resolvedRunId ? { workflowId, runId: resolvedRunId } : execution}
          running={running}
          onDone={() => setReloadKey((k) => k + 1)}
        />
      </div>
      <ErrorBox error={describe.error} />
      {describe.loading && !describe.data ? <Spinner /> : null}
      <div className="grid-2">
        <Card title="Summary">
          <KeyValues
            entries={[
              ['Workflow type', info?.type?.name],
              [
                'Task queue',
                info?.taskQueue ? (
                  <Link key="tq" href={taskQueuePath(namespace, info.taskQueue)}>
                    {info.taskQueue}
                  </Link>
                ) : (
                  ''
                ),
              ],
              ['Start', formatTime(info?.startTime)],
              ['Close', formatTime(info?.closeTime)],
              ['Duration', start ? formatDuration((close ?? now) - start) : ''],
              ['History length', info?.historyLength],
              [
                'Parent',
                info?.parentExecution?.workflowId ? (
                  <Link
                    key="parent"
                    href={workflowPath(
                      namespace,
                      info.parentExecution.workflowId,
                      info.parentExecution.runId,
                    )}
                  >
                    {info.parentExecution.workflowId}
                  </Link>
                ) : (
                  ''
                ),
              ],
              ['Run timeout', timeoutLabel(describe.data?.executionConfig?.workflowRunTimeout)],
              ['Execution timeout', timeoutLabel(describe.data?.executionConfig?.workflowExecutionTimeout)],
            ]}
          />
        </Card>
        <div className="stack">
          <Card title="Input">
            <div data-testid="workflow-input">
              <JsonView value={payloadList(startAttrs.input)} empty="no input" />
            </div>
          </Card>
          <Card title="Result">
            <div data-testid="workflow-result">
              <Outcome event={closeEvent} />
            </div>
          </Card>
        </div>
      </div>
      <Tabs<Tab>
        active={tab}
        onChange={(id) =>
          navigate(`${workflowPath(namespace, workflowId, runId)}?tab=${id}`, { replace: true })
        }
        tabs={[
          { id: 'history', label: 'History', count: events.length },
          { id: 'timeline', label: 'Timeline' },
          { id: 'pending', label: 'Pending activities', count: pending.length },
          { id: 'children', label: 'Children', count: children.length },
          { id: 'stack', label: 'Stack trace' },
          { id: 'memo', label: 'Memo & search attributes' },
        ]}
      />
      <div className="card tab-panel">
        <ErrorBox error={history.error} />
        {tab === 'history' ? (
          <>
            {history.loading && events.length === 0 ? <Spinner /> : <HistoryTable events={events} />}
            {history.nextToken ? (
              <button type="button" className="button" onClick={history.loadMore}>
                Load more events
              </button>
            ) : null}
          </>
        ) : null}
        {tab === 'timeline' ? <Timeline events={events} pending={pending} now={now} /> : null}
        {tab === 'pending' ? (
          pending.length === 0 ? (
            <p className="muted">No pending activities.</p>
          ) : (
            <table className="table" data-testid="pending-activities">
              <thead>
                <tr>
                  <th>Activity</th>
                  <th>Type</th>
                  <th>State</th>
                  <th>Attempt</th>
                  <th>Scheduled</th>
                  <th>Last heartbeat</th>
                  <th>Last failure</th>
                </tr>
              </thead>
              <tbody>
                {pending.map((a) => (
                  <tr key={a.activityId}>
                    <td className="mono">{a.activityId}</td>
                    <td>{a.activityType?.name}</td>
                    <td>{enumLabel(a.state, 'PENDING_ACTIVITY_STATE_')}</td>
                    <td>
                      {a.attempt ?? 1}
                      {a.maximumAttempts ? ` / ${a.maximumAttempts}` : ''}
                    </td>
                    <td className="nowrap">{formatTime(a.scheduledTime)}</td>
                    <td className="nowrap">{formatTime(a.lastHeartbeatTime)}</td>
                    <td>
                      <FailureView failure={a.lastFailure} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        ) : null}
        {tab === 'children' ? (
          children.length === 0 ? (
            <p className="muted">No child workflows.</p>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Workflow ID</th>
                  <th>Type</th>
                  <th>State</th>
                </tr>
              </thead>
              <tbody>
                {children.map((c) => (
                  <tr key={`${c.workflowId}/${c.runId}`}>
                    <td>
                      <Link href={workflowPath(namespace, c.workflowId, c.runId)}>{c.workflowId}</Link>
                    </td>
                    <td>{c.type}</td>
                    <td>{c.state}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        ) : null}
        {tab === 'stack' ? <StackTrace namespace={namespace} execution={execution} /> : null}
        {tab === 'memo' ? (
          <div className="grid-2">
            <div>
              <h3>Memo</h3>
              {memo.length === 0 ? (
                <p className="muted">No memo.</p>
              ) : (
                <KeyValues
                  entries={memo.map(([k, v]) => [k, <JsonView key={k} value={payloadValue(v)} />])}
                />
              )}
            </div>
            <div>
              <h3>Search attributes</h3>
              {attributes.length === 0 ? (
                <p className="muted">No search attributes.</p>
              ) : (
                <KeyValues
                  entries={attributes.map(([k, v]) => [k, <JsonView key={k} value={payloadValue(v)} />])}
                />
              )}
            </div>
          </div>
        ) : null}
      </div>
    </div>
  );
}

/** A workflow timeout as shown: a zero duration means there is none. */
function timeoutLabel(value: string | undefined): string {
  const ms = durationMs(value);
  return ms === undefined ? '' : ms === 0 ? 'none' : formatDuration(ms);
}

/** Children from the history (started, closed) and those describe still lists as pending. */
function childRows(
  events: readonly HistoryEvent[],
  pending: readonly { workflowId?: string; runId?: string; workflowTypeName?: string }[],
) {
  const rows = new Map<string, { workflowId: string; runId?: string; type?: string; state: string }>();
  for (const event of events) {
    if (!event.eventType.includes('CHILD_WORKFLOW_EXECUTION')) continue;
    const attrs = eventAttributes(event) as {
      workflowId?: string;
      workflowExecution?: Execution;
      workflowType?: { name?: string };
    };
    const workflowId = attrs.workflowExecution?.workflowId ?? attrs.workflowId;
    if (!workflowId) continue;
    const previous = rows.get(workflowId);
    rows.set(workflowId, {
      workflowId,
      runId: attrs.workflowExecution?.runId ?? previous?.runId,
      type: attrs.workflowType?.name ?? previous?.type,
      state:
        eventLabel(event.eventType)
          .replace('ChildWorkflowExecution', '')
          .replace('StartChildWorkflowExecution', 'Start ') || 'Initiated',
    });
  }
  for (const child of pending) {
    if (!child.workflowId || rows.has(child.workflowId)) continue;
    rows.set(child.workflowId, {
      workflowId: child.workflowId,
      runId: child.runId,
      type: child.workflowTypeName,
      state: 'Running',
    });
  }
  return [...rows.values()];
}
