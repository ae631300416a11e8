import { useState } from 'react';
import {
  cancelWorkflow,
  type Execution,
  queryWorkflow,
  resetWorkflow,
  signalWorkflow,
  terminateWorkflow,
} from '../api.js';
import { ErrorBox, JsonView } from '../components/common.js';
import { parseArgs, payloadList } from '../format.js';

type Action = 'signal' | 'query' | 'cancel' | 'terminate' | 'reset';

const LABELS: Record<Action, string> = {
  signal: 'Signal',
  query: 'Query',
  cancel: 'Cancel',
  terminate: 'Terminate',
  reset: 'Reset',
};

/** The buttons of a workflow's page and the form of the one that is open. */
export function WorkflowActions({
  namespace,
  execution,
  running,
  onDone,
}: {
  namespace: string;
  execution: Execution;
  running: boolean;
  onDone: () => void;
}) {
  const [open, setOpen] = useState<Action>();
  const [name, setName] = useState('');
  const [args, setArgs] = useState('');
  const [reason, setReason] = useState('');
  const [eventId, setEventId] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [result, setResult] = useState<unknown>();
  const [done, setDone] = useState('');

  const toggle = (action: Action) => {
    setOpen(open === action ? undefined : action);
    setError(undefined);
    setResult(undefined);
    setDone('');
  };

  const submit = async () => {
    if (!open) return;
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      if (open === 'signal') await signalWorkflow(namespace, execution, name, parseArgs(args));
      else if (open === 'query') {
        const answer = await queryWorkflow(namespace, execution, name, parseArgs(args));
        setResult(
          answer.queryRejected ? { rejected: answer.queryRejected } : payloadList(answer.queryResult),
        );
      } else if (open === 'cancel') await cancelWorkflow(namespace, execution, reason);
      else if (open === 'terminate') await terminateWorkflow(namespace, execution, reason);
      else if (open === 'reset') await resetWorkflow(namespace, execution, eventId, reason);
      setDone(`${LABELS[open]} sent.`);
      if (open !== 'query') onDone();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  const writes: Action[] = ['signal', 'cancel', 'terminate', 'reset'];
  return (
    <div className="actions">
      <div className="action-buttons">
        {(['signal', 'query', 'cancel', 'terminate', 'reset'] as const).map((action) => (
          <button
            key={action}
            type="button"
            className={`button${action === 'terminate' ? ' danger' : ''}${open === action ? ' pressed' : ''}`}
            disabled={writes.includes(action) && action !== 'reset' && !running}
            onClick={() => toggle(action)}
          >
            {LABELS[action]}
          </button>
        ))}
      </div>
      {open ? (
        <form
          className="action-form"
          aria-label={`${LABELS[open]} workflow`}
          onSubmit={(event) => {
            event.preventDefault();
            void submit();
          }}
        >
          {open === 'signal' || open === 'query' ? (
            <>
              <label>
                {open === 'signal' ? 'Signal name' : 'Query type'}
                <input
                  className="input"
                  name="name"
                  required
                  value={name}
                  placeholder={open === 'query' ? '__stack_trace' : ''}
                  onChange={(event) => setName(event.target.value)}
                />
              </label>
              <label>
                Arguments (JSON; an array is the argument list)
                <textarea
                  className="input"
                  name="args"
                  rows={3}
                  value={args}
                  onChange={(event) => setArgs(event.target.value)}
                />
              </label>
            </>
          ) : null}
          {open === 'reset' ? (
            <label>
              Reset to the workflow task that finished at event
              <input
                className="input"
                name="eventId"
                required
                value={eventId}
                onChange={(event) => setEventId(event.target.value)}
              />
            </label>
          ) : null}
          {open === 'cancel' || open === 'terminate' || open === 'reset' ? (
            <label>
              Reason
              <input
                className="input"
                name="reason"
                value={reason}
                onChange={(event) => setReason(event.target.value)}
              />
            </label>
          ) : null}
          <div className="form-buttons">
            <button
              type="submit"
              className={`button ${open === 'terminate' ? 'danger' : 'primary'}`}
              disabled={busy}
            >
              {busy ? 'Sending…' : `${LABELS[open]} workflow`}
            </button>
            <button type="button" className="button" onClick={() => setOpen(undefined)}>
              Close
            </button>
          </div>
          <ErrorBox error={error} />
          {done && !error ? <div className="notice">{done}</div> : null}
          {result !== undefined ? <JsonView value={result} /> : null}
        </form>
      ) : null}
    </div>
  );
}
