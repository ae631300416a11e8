import { useState } from 'react';
import { Link, useLocation } from 'wouter';
import {
  createSchedule,
  deleteSchedule,
  describeSchedule,
  listSchedules,
  type NewSchedule,
  patchSchedule,
  type ScheduleActionResult,
} from '../api.js';
import { Card, ErrorBox, JsonView, KeyValues, Spinner, useCall } from '../components/common.js';
import { enumLabel, formatTime, parseArgs, payloadList, specSummary } from '../format.js';
import { currentNamespace, nsPath, pathSegments, schedulePath, workflowPath } from '../paths.js';

const EMPTY_FORM: NewSchedule = {
  scheduleId: '',
  workflowType: '',
  workflowId: '',
  taskQueue: '',
  cron: '',
  interval: '',
  input: [],
  paused: false,
};

/** A form that creates a schedule starting one workflow type on a cron string or an interval. */
function CreateScheduleForm({
  namespace,
  onCreated,
}: {
  namespace: string;
  onCreated: (id: string) => void;
}) {
  const [form, setForm] = useState(EMPTY_FORM);
  const [input, setInput] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const field = (key: keyof NewSchedule, label: string, placeholder: string) => (
    <label className="schedule-field">
      <span>{label}</span>
      <input
        className="input"
        aria-label={label}
        placeholder={placeholder}
        value={String(form[key])}
        onChange={(event) => setForm({ ...form, [key]: event.target.value })}
      />
    </label>
  );
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const schedule = { ...form, input: parseArgs(input), workflowId: form.workflowId || form.scheduleId };
      await createSchedule(namespace, schedule);
      setForm(EMPTY_FORM);
      setInput('');
      onCreated(schedule.scheduleId);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="stack"
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <div className="schedule-form">
        {field('scheduleId', 'Schedule id', 'nightly-report')}
        {field('workflowType', 'Workflow type', 'report')}
        {field('taskQueue', 'Task queue', 'reports')}
        {field('workflowId', 'Workflow id', 'defaults to the schedule id')}
        {field('cron', 'Cron string', '0 2 * * *')}
        {field('interval', 'Interval', '3600s')}
      </div>
      <label className="schedule-field">
        <span>Input (JSON; an array is the argument list)</span>
        <textarea
          className="input"
          aria-label="Schedule input"
          rows={2}
          value={input}
          onChange={(event) => setInput(event.target.value)}
        />
      </label>
      <label className="schedule-check">
        <input
          type="checkbox"
          checked={form.paused}
          onChange={(event) => setForm({ ...form, paused: event.target.checked })}
        />
        Start paused
      </label>
      <ErrorBox error={error} />
      <div>
        <button type="submit" className="button primary" disabled={busy}>
          Create schedule
        </button>
      </div>
    </form>
  );
}

/** The namespace's schedules, a page at a time, and the create form. */
export function SchedulesPage() {
  const [location, navigate] = useLocation();
  const namespace = currentNamespace(location);
  const [pageToken, setPageToken] = useState('');
  const [creating, setCreating] = useState(false);
  const schedules = useCall(() => listSchedules(namespace, pageToken), [namespace, pageToken]);
  const rows = schedules.data?.schedules ?? [];
  return (
    <div className="stack">
      <div className="list-header">
        <h1 className="page-title">Schedules</h1>
        <button type="button" className="button" onClick={() => setCreating(!creating)}>
          {creating ? 'Close' : 'New schedule'}
        </button>
      </div>
      {creating ? (
        <Card title="New schedule">
          <CreateScheduleForm
            namespace={namespace}
            onCreated={(id) => navigate(schedulePath(namespace, id))}
          />
        </Card>
      ) : null}
      <ErrorBox error={schedules.error} />
      {schedules.loading && !schedules.data ? <Spinner /> : null}
      <div className="card">
        <table className="table" data-testid="schedule-table">
          <thead>
            <tr>
              <th>Schedule id</th>
              <th>State</th>
              <th>Workflow type</th>
              <th>Spec</th>
              <th>Last run</th>
              <th>Next run</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => {
              const last = row.info?.recentActions?.at(-1);
              return (
                <tr key={row.scheduleId}>
                  <td>
                    <Link href={schedulePath(namespace, row.scheduleId)}>{row.scheduleId}</Link>
                  </td>
                  <td>{row.info?.paused ? 'Paused' : 'Active'}</td>
                  <td>{row.info?.workflowType?.name}</td>
                  <td className="mono">{specSummary(row.info?.spec)}</td>
                  <td className="nowrap">{formatTime(last?.actualTime)}</td>
                  <td className="nowrap">{formatTime(row.info?.futureActionTimes?.[0])}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {schedules.data && rows.length === 0 ? (
          <p className="empty">No schedules in this namespace.</p>
        ) : null}
        <footer className="pager">
          <button
            type="button"
            className="button"
            disabled={pageToken === ''}
            onClick={() => setPageToken('')}
          >
            First page
          </button>
          <button
            type="button"
            className="button"
            disabled={!schedules.data?.nextPageToken}
            onClick={() => setPageToken(schedules.data?.nextPageToken ?? '')}
          >
            Next page
          </button>
        </footer>
      </div>
    </div>
  );
}

function ActionTable({ namespace, actions }: { namespace: string; actions: ScheduleActionResult[] }) {
  if (actions.length === 0) return <p className="muted">None yet.</p>;
  return (
    <table className="table" data-testid="recent-actions">
      <thead>
        <tr>
          <th>Scheduled for</th>
          <th>Started at</th>
          <th>Workflow</th>
          <th>Status</th>
        </tr>
      </thead>
      <tbody>
        {actions.map((action) => {
          const run = action.startWorkflowResult;
          return (
            <tr key={`${action.scheduleTime}-${run?.runId}`}>
              <td className="nowrap">{formatTime(action.scheduleTime)}</td>
              <td className="nowrap">{formatTime(action.actualTime)}</td>
              <td className="mono">
                {run ? (
                  <Link href={workflowPath(namespace, run.workflowId, run.runId)}>{run.workflowId}</Link>
                ) : null}
              </td>
              <td>{enumLabel(action.startWorkflowStatus, 'WORKFLOW_EXECUTION_STATUS_')}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

type ScheduleAction = 'pause' | 'unpause' | 'trigger' | 'delete';

/** One schedule: its spec, action, policies and state, what it ran and will run, and pause/trigger/delete. */
export function ScheduleDetailPage() {
  const [location, navigate] = useLocation();
  const namespace = currentNamespace(location);
  const scheduleId = pathSegments()[3] ?? '';
  const described = useCall(() => describeSchedule(namespace, scheduleId), [namespace, scheduleId]);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState('');

  const act = async (action: ScheduleAction) => {
    setBusy(true);
    setError(undefined);
    setDone('');
    try {
      if (action === 'delete') {
        await deleteSchedule(namespace, scheduleId);
        navigate(`${nsPath(namespace)}/schedules`);
        return;
      }
      const patch =
        action === 'pause'
          ? { pause: note || 'Paused from the web UI.' }
          : action === 'unpause'
            ? { unpause: note || 'Unpaused from the web UI.' }
            : { triggerImmediately: {} };
      await patchSchedule(namespace, scheduleId, patch);
      setDone(action === 'trigger' ? 'Triggered.' : action === 'pause' ? 'Paused.' : 'Unpaused.');
      setNote('');
      described.reload();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  const schedule = described.data?.schedule;
  const info = described.data?.info;
  const start = schedule?.action?.startWorkflow;
  const paused = schedule?.state?.paused === true;
  return (
    <div className="stack">
      <h1 className="page-title">
        Schedule <span className="mono">{scheduleId}</span>
      </h1>
      <ErrorBox error={described.error} />
      {described.loading && !described.data ? <Spinner /> : null}
      {described.data ? (
        <>
          <Card
            title="Summary"
            actions={
              <button type="button" className="button" onClick={described.reload}>
                Refresh
              </button>
            }
          >
            <div data-testid="schedule-summary">
              <KeyValues
                entries={[
                  ['State', paused ? 'Paused' : 'Active'],
                  ['Notes', schedule?.state?.notes],
                  [
                    'Spec',
                    <span key="spec" className="mono">
                      {specSummary(schedule?.spec)}
                    </span>,
                  ],
                  ['Workflow type', start?.workflowType?.name],
                  ['Workflow id', start?.workflowId],
                  ['Task queue', start?.taskQueue?.name],
                  [
                    'Overlap policy',
                    enumLabel(schedule?.policies?.overlapPolicy, 'SCHEDULE_OVERLAP_POLICY_') || 'Skip',
                  ],
                  [
                    'Remaining actions',
                    schedule?.state?.limitedActions ? (schedule.state.remainingActions ?? '0') : 'unlimited',
                  ],
                  ['Actions taken', info?.actionCount ?? '0'],
                  ['Created', formatTime(info?.createTime)],
                  ['Updated', formatTime(info?.updateTime)],
                ]}
              />
            </div>
          </Card>
          <Card title="Actions">
            <div className="inline-form">
              <input
                className="input"
                placeholder="Note for pause or unpause"
                aria-label="Note"
                value={note}
                onChange={(event) => setNote(event.target.value)}
              />
              <button
                type="button"
                className="button"
                disabled={busy}
                onClick={() => act(paused ? 'unpause' : 'pause')}
              >
                {paused ? 'Unpause' : 'Pause'}
              </button>
              <button type="button" className="button" disabled={busy} onClick={() => act('trigger')}>
                Trigger now
              </button>
              <button type="button" className="button danger" disabled={busy} onClick={() => act('delete')}>
                Delete
              </button>
            </div>
            <ErrorBox error={error} />
            {done ? <p className="muted">{done}</p> : null}
          </Card>
          <Card title="Running workflows">
            {(info?.runningWorkflows ?? []).length === 0 ? (
              <p className="muted">None.</p>
            ) : (
              <ul>
                {(info?.runningWorkflows ?? []).map((run) => (
                  <li key={run.runId} className="mono">
                    <Link href={workflowPath(namespace, run.workflowId, run.runId)}>{run.workflowId}</Link>
                  </li>
                ))}
              </ul>
            )}
          </Card>
          <Card title="Recent runs">
            <ActionTable namespace={namespace} actions={[...(info?.recentActions ?? [])].reverse()} />
          </Card>
          <Card title="Upcoming runs">
            <ul data-testid="future-actions">
              {(info?.futureActionTimes ?? []).map((time) => (
                <li key={time}>{formatTime(time)}</li>
              ))}
            </ul>
          </Card>
          <Card title="Workflow input">
            <JsonView value={payloadList(start?.input)} />
          </Card>
        </>
      ) : null}
    </div>
  );
}
