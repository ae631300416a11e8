import { type ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api.js';
import { pretty, statusLabel } from '../format.js';

export function StatusBadge({ status }: { status: string | undefined }) {
  const label = statusLabel(status) || 'Unknown';
  return <span className={`badge badge-${label.toLowerCase()}`}>{label}</span>;
}

/** An error of a call, with the gRPC status name and HTTP status, as the user should read it. */
export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const api = error instanceof ApiError ? error : undefined;
  const unimplemented = api?.code === 12;
  return (
    <div className={`error-box${unimplemented ? ' error-unimplemented' : ''}`} role="alert">
      <strong>{title ?? (unimplemented ? 'Not supported by this server yet' : 'Request failed')}</strong>
      {api ? (
        <span className="error-code">
          {api.codeName}
          {api.httpStatus ? ` · HTTP ${api.httpStatus}` : ''}
        </span>
      ) : null}
      <div className="error-message">{error instanceof Error ? error.message : String(error)}</div>
    </div>
  );
}

export function JsonView({ value, empty = 'none' }: { value: unknown; empty?: string }) {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) {
    return <span className="muted">{empty}</span>;
  }
  return <pre className="json">{pretty(value)}</pre>;
}

export function Card({
  title,
  children,
  actions,
}: {
  title: string;
  children: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <section className="card">
      <header className="card-header">
        <h2>{title}</h2>
        {actions}
      </header>
      <div className="card-body">{children}</div>
    </section>
  );
}

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return <div className="spinner">{label}</div>;
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Runs a call when its inputs change; the latest call wins. */
export function useCall<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller names the inputs of `load` in `deps`.
  useEffect(() => {
    const id = ++latest.current;
    setLoading(true);
    load().then(
      (value) => {
        if (id !== latest.current) return;
        setData(value);
        setError(undefined);
        setLoading(false);
      },
      (failure: unknown) => {
        if (id !== latest.current) return;
        setError(failure);
        setLoading(false);
      },
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

export function Tabs<T extends string>({
  tabs,
  active,
  onChange,
}: {
  tabs: readonly { id: T; label: string; count?: number }[];
  active: T;
  onChange: (id: T) => void;
}) {
  return (
    <div className="tabs" role="tablist">
      {tabs.map((tab) => (
        <button
          key={tab.id}
          type="button"
          role="tab"
          aria-selected={tab.id === active}
          className={tab.id === active ? 'tab active' : 'tab'}
          onClick={() => onChange(tab.id)}
        >
          {tab.label}
          {tab.count !== undefined ? <span className="tab-count">{tab.count}</span> : null}
        </button>
      ))}
    </div>
  );
}

export function KeyValues({ entries }: { entries: readonly [string, ReactNode][] }) {
  return (
    <dl className="kv">
      {entries.map(([key, value]) => (
        <div key={key} className="kv-row">
          <dt>{key}</dt>
          <dd>
            {value === '' || value === undefined || value === null ? <span className="muted">—</span> : value}
          </dd>
        </div>
      ))}
    </dl>
  );
}
