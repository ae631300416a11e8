import { useState } from 'react';
import { useLocation } from 'wouter';
import { describeTaskQueue, type Poller } from '../api.js';
import { Card, ErrorBox, Spinner, useCall } from '../components/common.js';
import { formatTime } from '../format.js';
import { currentNamespace, pathSegments, taskQueuePath } from '../paths.js';

/** Asks for a task queue by name (Temporal has no call that lists them). */
export function TaskQueuesPage() {
  const [location, navigate] = useLocation();
  const namespace = currentNamespace(location);
  const [name, setName] = useState('');
  return (
    <Card title="Task queues">
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          if (name.trim()) navigate(taskQueuePath(namespace, name.trim()));
        }}
      >
        <input
          className="input"
          placeholder="Task queue name"
          aria-label="Task queue name"
          value={name}
          onChange={(event) => setName(event.target.value)}
        />
        <button type="submit" className="button primary">
          Show pollers
        </button>
      </form>
      <p className="muted">A workflow's page links to its task queue as well.</p>
    </Card>
  );
}

function PollerTable({
  namespace,
  taskQueue,
  type,
}: {
  namespace: string;
  taskQueue: string;
  type: 'WORKFLOW' | 'ACTIVITY';
}) {
  const pollers = useCall(() => describeTaskQueue(namespace, taskQueue, type), [namespace, taskQueue, type]);
  const rows: Poller[] = pollers.data?.pollers ?? [];
  return (
    <Card
      title={type === 'WORKFLOW' ? 'Workflow pollers' : 'Activity pollers'}
      actions={
        <button type="button" className="button" onClick={pollers.reload}>
          Refresh
        </button>
      }
    >
      <ErrorBox error={pollers.error} />
      {pollers.loading && !pollers.data ? <Spinner /> : null}
      {pollers.data ? (
        rows.length === 0 ? (
          <p className="muted">No pollers in the last minutes.</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th>Identity</th>
                <th>Last access</th>
                <th>Rate per second</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((p) => (
                <tr key={p.identity}>
                  <td className="mono">{p.identity}</td>
                  <td>{formatTime(p.lastAccessTime)}</td>
                  <td>{p.ratePerSecond ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}
    </Card>
  );
}

export function TaskQueuePage() {
  const [location] = useLocation();
  const namespace = currentNamespace(location);
  const taskQueue = pathSegments()[3] ?? '';
  return (
    <div className="stack">
      <h1 className="page-title">
        Task queue <span className="mono">{taskQueue}</span>
      </h1>
      <PollerTable namespace={namespace} taskQueue={taskQueue} type="WORKFLOW" />
      <PollerTable namespace={namespace} taskQueue={taskQueue} type="ACTIVITY" />
    </div>
  );
}
