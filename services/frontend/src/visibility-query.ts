import { ServiceError } from '@odin/api';
import { type VisibilityFilter, WorkflowStatus } from '@odin/persistence';

// The list-filter grammar Odin's SQL visibility answers: `Field = 'value'` comparisons joined by AND.
//   query      := '' | comparison ( AND comparison )*
//   comparison := field '=' string
//   field      := WorkflowId | WorkflowType | ExecutionStatus
//   string     := '...' | "…"  (a backslash escapes the next character)
// Everything else (OR, ranges, ORDER BY, custom attributes) is refused with INVALID_ARGUMENT naming what is supported.

const STATUS_BY_NAME: Readonly<Record<string, number>> = {
  running: WorkflowStatus.RUNNING,
  completed: WorkflowStatus.COMPLETED,
  failed: WorkflowStatus.FAILED,
  canceled: WorkflowStatus.CANCELED,
  terminated: WorkflowStatus.TERMINATED,
  continuedasnew: WorkflowStatus.CONTINUED_AS_NEW,
  timedout: WorkflowStatus.TIMED_OUT,
};

const SUPPORTED =
  "Supported: WorkflowId = '...', WorkflowType = '...' and ExecutionStatus = 'Running' (or Completed, Failed, " +
  'Canceled, Terminated, ContinuedAsNew, TimedOut), joined by AND.';

type Token =
  | { kind: 'op'; text: string; at: number }
  | { kind: 'word'; text: string; at: number }
  | { kind: 'string'; text: string; at: number }
  | { kind: 'eq'; at: number };

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const ch = query[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '=') {
      tokens.push({ kind: 'eq', at: i });
      i++;
    } else if (ch === '<' || ch === '>' || ch === '!') {
      const start = i;
      while (i < query.length && '<>=!'.includes(query[i]!)) i++;
      tokens.push({ kind: 'op', text: query.slice(start, i), at: start });
    } else if (ch === "'" || ch === '"') {
      const start = i;
      let text = '';
      i++;
      for (;;) {
        if (i >= query.length) throw reject(`unterminated string starting at position ${start + 1}`);
        const c = query[i]!;
        if (c === '\\' && i + 1 < query.length) {
          text += query[i + 1];
          i += 2;
        } else if (c === ch) {
          i++;
          break;
        } else {
          text += c;
          i++;
        }
      }
      tokens.push({ kind: 'string', text, at: start });
    } else if (/[A-Za-z_]/.test(ch)) {
      const start = i;
      while (i < query.length && /[A-Za-z0-9_.]/.test(query[i]!)) i++;
      tokens.push({ kind: 'word', text: query.slice(start, i), at: start });
    } else {
      throw reject(`unexpected "${ch}" at position ${i + 1}`);
    }
  }
  return tokens;
}

function reject(problem: string): ServiceError {
  return ServiceError.invalidArgument(`Invalid query: ${problem}. ${SUPPORTED}`);
}

/** Parses a List/Count query into a store filter; INVALID_ARGUMENT for anything outside the grammar. */
export function parseVisibilityQuery(query: string | null | undefined): VisibilityFilter {
  const filter: VisibilityFilter = {};
  const tokens = tokenize(query ?? '');
  let i = 0;
  while (i < tokens.length) {
    if (i > 0) {
      const and = tokens[i];
      if (and?.kind !== 'word' || and.text.toUpperCase() !== 'AND') {
        throw reject(`expected AND at position ${(and?.at ?? 0) + 1}`);
      }
      i++;
    }
    const field = tokens[i];
    const eq = tokens[i + 1];
    const value = tokens[i + 2];
    if (field?.kind !== 'word') throw reject(`expected a field name at position ${(field?.at ?? 0) + 1}`);
    if (eq?.kind !== 'eq') throw reject(`only "=" comparisons are supported (after ${field.text})`);
    if (value?.kind !== 'string') throw reject(`expected a quoted value after ${field.text} =`);
    i += 3;
    switch (field.text) {
      case 'WorkflowId':
        setOnce(filter, 'workflowId', value.text, field.text);
        break;
      case 'WorkflowType':
        setOnce(filter, 'workflowType', value.text, field.text);
        break;
      case 'ExecutionStatus': {
        const status = STATUS_BY_NAME[value.text.toLowerCase().replace(/_/g, '')];
        if (status === undefined) throw reject(`unknown ExecutionStatus '${value.text}'`);
        setOnce(filter, 'status', status, field.text);
        break;
      }
      default:
        throw reject(`unsupported field ${field.text}`);
    }
  }
  return filter;
}

function setOnce<K extends 'workflowId' | 'workflowType' | 'status'>(
  filter: VisibilityFilter,
  key: K,
  value: VisibilityFilter[K],
  field: string,
): void {
  if (filter[key] !== undefined) throw reject(`${field} appears twice`);
  filter[key] = value;
}
