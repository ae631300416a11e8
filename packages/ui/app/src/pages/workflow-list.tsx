import { useEffect, useState } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { countWorkflows, listWorkflows } from '../api.js';
import { ErrorBox, Spinner, StatusBadge, useCall } from '../components/common.js';
import { formatTime, STATUSES } from '../format.js';
import { currentNamespace, nsPath, taskQueuePath, workflowPath } from '../paths.js';

const PAGE_SIZES = [25, 50, 100] as const;

/** The visibility query the server runs: what the user typed, and the status filter joined with AND. */
function effectiveQuery(typed: string, status: string): string {
  return [typed.trim(), status ? `ExecutionStatus = '${status}'` : ''].filter(Boolean).join(' AND ');
}

export function WorkflowListPage() {
  const [location, navigate] = useLocation();
  const params = new URLSearchParams(useSearch());
  const namespace = currentNamespace(location);
  const typed = params.get('query') ?? '';
  const status = params.get('status') ?? '';
  const pageSize = Number(params.get('pageSize')) || 50;
  const query = effectiveQuery(typed, status);

  const [draft, setDraft] = useState(typed);
  useEffect(() => setDraft(typed), [typed]);
  // Tokens of the pages seen so far: [0] is the first page (no token); Next pushes, Previous pops.
  const [tokens, setTokens] = useState<string[]>(['']);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new query, filter or page size starts at page one.
  useEffect(() => setTokens(['']), [namespace, query, pageSize]);
  const pageToken = tokens[tokens.length - 1] ?? '';

  const page = useCall(
    () => listWorkflows(namespace, query, pageSize, pageToken),
    [namespace, query, pageSize, pageToken],
  );
  const count = useCall(() => countWorkflows(namespace, query), [namespace, query]);

  const setParams = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    const search = next.toString();
    navigate(`${nsPath(namespace)}/workflows${search ? `?${search}` : ''}`);
  };

  const rows = page.data?.executions ?? [];
  const total = count.data?.count === undefined ? undefined : Number(count.data.count);
  const first = (tokens.length - 1) * pageSize + 1;
  const nextToken = page.data?.nextPageToken;

  return (
    <div className="stack">
      <div className="list-header">
        <h1 className="page-title">Workflows</h1>
        <span className="muted" data-testid="workflow-count">
          {total === undefined ? '' : `${total.toLocaleString('en-US')} workflow${total === 1 ? '' : 's'}`}
        </span>
      </div>
      <form
        className="query-form"
        onSubmit={(event) => {
          event.preventDefault();
          setParams({ query: draft });
        }}
      >
        <input
          className="input query-input"
          name="query"
          aria-label="Visibility query"
          placeholder="WorkflowType = 'order' AND ExecutionStatus = 'Running'"
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
        />
        <button type="submit" className="button primary">
          Search
        </button>
        {typed ? (
          <button type="button" className="button" onClick={() => setParams({ query: '' })}>
            Clear
          </button>
        ) : null}
      </form>
      <div className="filters" data-testid="status-filter">
        {['', ...STATUSES].map((s) => (
          <button
            key={s || 'all'}
            type="button"
            className={`chip${s === status ? ' active' : ''}`}
            aria-pressed={s === status}
            onClick={() => setParams({ status: s })}
          >
            {s || 'All'}
          </button>
        ))}
      </div>
      <ErrorBox error={page.error} />
      <div className="card">
        <table className="table workflows" data-testid="workflow-table">
          <thead>
            <tr>
              <th>Status</th>
              <th>Workflow ID</th>
              <th>Run ID</th>
              <th>Type</th>
              <th>Task queue</th>
              <th>Start</th>
              <th>End</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={`${row.execution.workflowId}/${row.execution.runId}`}>
                <td>
                  <StatusBadge status={row.status} />
                </td>
                <td>
                  <Link href={workflowPath(namespace, row.execution.workflowId, row.execution.runId)}>
                    {row.execution.workflowId}
                  </Link>
                </td>
                <td className="mono muted">{row.execution.runId}</td>
                <td>{row.type?.name}</td>
                <td>
                  {row.taskQueue ? (
                    <Link href={taskQueuePath(namespace, row.taskQueue)}>{row.taskQueue}</Link>
                  ) : null}
                </td>
                <td className="nowrap">{formatTime(row.startTime)}</td>
                <td className="nowrap">{formatTime(row.closeTime)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {page.loading ? <Spinner /> : null}
        {!page.loading && rows.length === 0 && !page.error ? (
          <p className="empty">No workflows match this query.</p>
        ) : null}
        <footer className="pager">
          <span className="muted" data-testid="page-range">
            {rows.length > 0
              ? `${first.toLocaleString('en-US')}–${(first + rows.length - 1).toLocaleString('en-US')}${
                  total === undefined ? '' : ` of ${total.toLocaleString('en-US')}`
                }`
              : ''}
          </span>
          <label className="page-size">
            Per page
            <select value={pageSize} onChange={(event) => setParams({ pageSize: event.target.value })}>
              {PAGE_SIZES.map((size) => (
                <option key={size} value={size}>
                  {size}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            className="button"
            disabled={tokens.length <= 1 || page.loading}
            onClick={() => setTokens((t) => t.slice(0, -1))}
          >
            Previous
          </button>
          <button
            type="button"
            className="button"
            disabled={!nextToken || page.loading}
            onClick={() => nextToken && setTokens((t) => [...t, nextToken])}
          >
            Next
          </button>
        </footer>
      </div>
    </div>
  );
}
