import { parseDuration } from '@odin/hugo';
import { echo, ServiceError } from '@odin/api';
import {
  isSystemSearchAttribute,
  parseRfc3339Nanos,
  PREDEFINED_SEARCH_ATTRIBUTES,
  type SearchAttributeType,
  SYSTEM_SEARCH_ATTRIBUTES,
  textTokens,
  type VisibilityAttribute,
  type VisibilityCondition,
  type VisibilityValue,
  WorkflowStatus,
} from '@odin/persistence';
import {
  parseQueryText,
  type RawColumn,
  type RawNode,
  type RawQuery,
  type RawValue,
} from './visibility-query-grammar.js';

// Temporal's List/Count filter language as its SQL visibility takes it (the grammar is in
// visibility-query-grammar.ts), resolved against the namespace's search attributes into the store's condition
// tree. Every value ends up as a bound parameter (packages/persistence/src/stores/visibility-conditions.ts); no
// text of a query reaches SQL. Errors are INVALID_ARGUMENT with Temporal's wording, "invalid query: …", naming
// the position, token, attribute or value at fault.

/** Longest query text taken: far above any real filter, low enough that parsing it costs nothing. */
export const MAX_QUERY_LENGTH = 32 * 1024;
/** Deepest parenthesis nesting taken (the parser recurses once per level). */
export const MAX_QUERY_NESTING = 50;
/** Values in one IN list, and in the whole query: each is a bound parameter, and databases cap those. */
export const MAX_IN_VALUES = 1000;
export const MAX_QUERY_VALUES = 5000;

const MALFORMED = 'malformed SQL query';
const NOT_SUPPORTED = 'operation is not supported';
const INVALID = 'invalid expression';

function invalidQuery(message: string): ServiceError {
  return ServiceError.invalidArgument(`invalid query: ${message}`);
}

/** ExecutionStatus names by number, as Temporal writes them in queries and group values. */
export const STATUS_NAMES: Readonly<Record<number, string>> = {
  [WorkflowStatus.RUNNING]: 'Running',
  [WorkflowStatus.COMPLETED]: 'Completed',
  [WorkflowStatus.FAILED]: 'Failed',
  [WorkflowStatus.CANCELED]: 'Canceled',
  [WorkflowStatus.TERMINATED]: 'Terminated',
  [WorkflowStatus.CONTINUED_AS_NEW]: 'ContinuedAsNew',
  [WorkflowStatus.TIMED_OUT]: 'TimedOut',
};

const STATUS_BY_NAME = new Map<string, number>();
for (const [n, name] of Object.entries(STATUS_NAMES)) {
  const status = Number(n);
  STATUS_BY_NAME.set(name.toLowerCase(), status);
  // Temporal also takes the enum's full name (WORKFLOW_EXECUTION_STATUS_TIMED_OUT).
  STATUS_BY_NAME.set(
    `workflow_execution_status_${name.replace(/(?<=[a-z])(?=[A-Z])/g, '_').toLowerCase()}`,
    status,
  );
}

/**
 * Checks what the grammar cannot cheaply: the length, NUL characters (no database takes them in text) and the
 * nesting depth, counted over the text outside quotes before the recursive parser sees it.
 */
function precheck(text: string): void {
  if (text.length > MAX_QUERY_LENGTH) {
    throw invalidQuery(`the query is ${text.length} characters long; at most ${MAX_QUERY_LENGTH} are taken`);
  }
  const nul = text.indexOf('\u0000');
  if (nul >= 0) throw invalidQuery(`${MALFORMED}: NUL character at position ${nul + 1}`);
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== undefined) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"' || c === '`') {
      quote = c;
    } else if (c === '(') {
      if (++depth > MAX_QUERY_NESTING) {
        throw invalidQuery(`parentheses nested deeper than ${MAX_QUERY_NESTING} at position ${i + 1}`);
      }
    } else if (c === ')') {
      depth--;
    }
  }
}

/** The syntax tree of a query; INVALID_ARGUMENT with the position and the expected tokens when it is malformed. */
export function parseVisibilityQueryText(query: string | null | undefined): RawQuery {
  const text = query ?? '';
  precheck(text);
  const parsed = parseQueryText(text);
  if (parsed.ok) return parsed.query;
  const { offset, found, message } = parsed.error;
  const near = found === null ? 'at the end of the query' : `near '${text.slice(offset, offset + 20)}'`;
  throw invalidQuery(`${MALFORMED}: syntax error at position ${offset + 1} ${near}: ${message}`);
}

/** Every attribute name the query uses (to look their types up before resolving it). */
export function queryAttributeNames(raw: RawQuery): string[] {
  const names = new Set<string>(raw.groupBy.map((c) => c.name));
  const visit = (n: RawNode): void => {
    if (n.type === 'or' || n.type === 'and') for (const item of n.items) visit(item);
    else if (n.type === 'not') visit(n.item);
    else names.add(n.col.name);
  };
  if (raw.where) visit(raw.where);
  return [...names];
}

export interface ResolvedVisibilityQuery {
  condition?: VisibilityCondition;
  groupBy?: 'ExecutionStatus';
}

type TypeOf = (name: string) => SearchAttributeType | undefined;

interface Resolved {
  attribute: VisibilityAttribute;
  type: SearchAttributeType;
  name: string;
}

function resolveColumn(col: RawColumn, typeOf: TypeOf): Resolved {
  if (isSystemSearchAttribute(col.name)) {
    return { attribute: { system: col.name }, type: SYSTEM_SEARCH_ATTRIBUTES[col.name], name: col.name };
  }
  const type = typeOf(col.name) ?? PREDEFINED_SEARCH_ATTRIBUTES[col.name];
  if (type === undefined) {
    throw invalidQuery(`${INVALID}: column name '${echo(col.name)}' is not a valid search attribute`);
  }
  return { attribute: { custom: col.name, type }, type, name: col.name };
}

function describe(v: RawValue): string {
  switch (v.kind) {
    case 'string':
      return `'${echo(v.value)}'`;
    case 'number':
      return echo(v.text);
    case 'bool':
      return String(v.value);
    case 'null':
      return 'NULL';
    case 'column':
      return v.name;
  }
}

/** The value of a literal in the terms of the attribute it is compared with (see VisibilityValue). */
function valueFor(r: Resolved, v: RawValue): VisibilityValue {
  if (v.kind === 'column') {
    throw invalidQuery(
      `${NOT_SUPPORTED}: column name on the right side of comparison expression (did you forget to quote '${v.name}'?)`,
    );
  }
  const wrongType = () =>
    invalidQuery(
      `${INVALID}: invalid value type for search attribute ${r.name} of type ${r.type}: ${describe(v)}`,
    );
  if (v.kind === 'null') throw invalidQuery(`${INVALID}: compare with NULL using IS NULL or IS NOT NULL`);
  if (r.name === 'ExecutionStatus' && 'system' in r.attribute) return statusValue(v);
  if (r.name === 'ExecutionDuration' && 'system' in r.attribute) return durationValue(v);
  switch (r.type) {
    case 'Keyword':
    case 'KeywordList':
      if (v.kind !== 'string') throw wrongType();
      return v.value;
    case 'Text':
      if (v.kind !== 'string') throw wrongType();
      if (textTokens(v.value).length === 0) {
        throw invalidQuery(`${INVALID}: no tokens found filtering on Text type search attribute ${r.name}`);
      }
      return v.value;
    case 'Int':
    case 'Double': {
      if (v.kind !== 'number') throw wrongType();
      const n = Number(v.text);
      if (!Number.isFinite(n)) throw wrongType();
      return n;
    }
    case 'Bool':
      if (v.kind !== 'bool') throw wrongType();
      return v.value;
    case 'Datetime': {
      if (v.kind === 'number' && /^[+-]?\d+$/.test(v.text)) return BigInt(v.text); // nanoseconds, as Temporal
      if (v.kind !== 'string') throw wrongType();
      const nanos = parseRfc3339Nanos(v.value);
      if (nanos === undefined) throw invalidQuery(`${INVALID}: unable to parse datetime '${echo(v.value)}'`);
      return nanos;
    }
  }
}

function statusValue(v: RawValue): number {
  if (v.kind === 'number' && /^\d+$/.test(v.text) && Number(v.text) in STATUS_NAMES) return Number(v.text);
  const status = v.kind === 'string' ? STATUS_BY_NAME.get(v.value.toLowerCase()) : undefined;
  if (status === undefined) throw invalidQuery(`${INVALID}: invalid ExecutionStatus value ${describe(v)}`);
  return status;
}

/**
 * ExecutionDuration in nanoseconds, from what Temporal takes: an integer (nanoseconds), or a string holding an
 * integer (nanoseconds), a duration ("300ms", "2h45m", "1d", the project's duration grammar) or "hh:mm:ss".
 */
function durationValue(v: RawValue): bigint {
  if (v.kind === 'number' && /^[+-]?\d+$/.test(v.text)) return BigInt(v.text);
  if (v.kind === 'string') {
    const text = v.value.trim();
    if (/^\d+$/.test(text)) return BigInt(text);
    const clock = /^(\d+):([0-5]\d):([0-5]\d)$/.exec(text);
    if (clock) {
      const seconds = Number(clock[1]) * 3600 + Number(clock[2]) * 60 + Number(clock[3]);
      return BigInt(seconds) * 1_000_000_000n;
    }
    const ms = parseDuration(text);
    if (ms.ok) return BigInt(ms.value) * 1_000_000n;
  }
  throw invalidQuery(
    `${INVALID}: invalid duration value for search attribute ExecutionDuration: ${describe(v)}`,
  );
}

const KEYWORD_OPERATORS = new Set(['=', '!=', '<', '<=', '>', '>=', 'in', 'between', 'startsWith']);
const LIST_OPERATORS = new Set(['=', '!=', 'in']);
const TEXT_OPERATORS = new Set(['=', '!=']);
const ORDERED_OPERATORS = new Set(['=', '!=', '<', '<=', '>', '>=', 'in', 'between']);
const BOOL_OPERATORS = new Set(['=', '!=', '<', '<=', '>', '>=', 'in']);

function checkOperator(r: Resolved, op: string, shown: string): void {
  const allowed =
    r.type === 'Keyword'
      ? KEYWORD_OPERATORS
      : r.type === 'KeywordList'
        ? LIST_OPERATORS
        : r.type === 'Text'
          ? TEXT_OPERATORS
          : r.type === 'Bool'
            ? BOOL_OPERATORS
            : ORDERED_OPERATORS;
  if (allowed.has(op)) return;
  if (op === 'between') {
    throw invalidQuery(
      `${INVALID}: cannot do range condition on search attribute '${r.name}' of type ${r.type}`,
    );
  }
  throw invalidQuery(
    `${INVALID}: operator '${shown}' not supported for ${r.type} type search attribute '${r.name}'`,
  );
}

/**
 * Conditions on ExecutionStatus are resolved over its seven names: Temporal compares the status by name, so
 * `<`, BETWEEN and STARTS_WITH select the statuses whose name falls in range, and the store sees an IN list of
 * status numbers.
 */
function statusCondition(
  attribute: VisibilityAttribute,
  test: (name: string) => boolean,
  negated: boolean,
): VisibilityCondition {
  const values = Object.entries(STATUS_NAMES)
    .filter(([, name]) => test(name))
    .map(([n]) => Number(n));
  return { op: negated ? 'not in' : 'in', attribute, values };
}

class Resolver {
  #values = 0;

  constructor(private readonly typeOf: TypeOf) {}

  #count(n: number): void {
    this.#values += n;
    if (this.#values > MAX_QUERY_VALUES) {
      throw invalidQuery(`the query has more than ${MAX_QUERY_VALUES} values; split it`);
    }
  }

  node(n: RawNode): VisibilityCondition {
    switch (n.type) {
      case 'or':
      case 'and':
        return { op: n.type, operands: n.items.map((i) => this.node(i)) };
      case 'not':
        return { op: 'not', operand: this.node(n.item) };
      case 'unsupported':
        throw invalidQuery(`${INVALID}: invalid operator '${echo(n.op)}' (at position ${n.col.at + 1})`);
      case 'is': {
        const r = resolveColumn(n.col, this.typeOf);
        return { op: n.negated ? 'is not null' : 'is null', attribute: r.attribute };
      }
      case 'compare':
        return this.#compare(n);
      case 'in':
        return this.#in(n);
      case 'between':
        return this.#between(n);
      case 'startsWith':
        return this.#startsWith(n);
    }
  }

  #compare(n: Extract<RawNode, { type: 'compare' }>): VisibilityCondition {
    const r = resolveColumn(n.col, this.typeOf);
    checkOperator(r, n.op, n.op);
    this.#count(1);
    const value = valueFor(r, n.value);
    if (r.name === 'ExecutionStatus' && 'system' in r.attribute && n.op !== '=' && n.op !== '!=') {
      const wanted = STATUS_NAMES[value as number]!;
      const cmp: Record<string, (a: string) => boolean> = {
        '<': (a) => a < wanted,
        '<=': (a) => a <= wanted,
        '>': (a) => a > wanted,
        '>=': (a) => a >= wanted,
      };
      return statusCondition(r.attribute, cmp[n.op]!, false);
    }
    return { op: n.op, attribute: r.attribute, value };
  }

  #in(n: Extract<RawNode, { type: 'in' }>): VisibilityCondition {
    const r = resolveColumn(n.col, this.typeOf);
    checkOperator(r, 'in', n.negated ? 'not in' : 'in');
    if (n.values.length > MAX_IN_VALUES) {
      throw invalidQuery(
        `IN list of ${r.name} has ${n.values.length} values; at most ${MAX_IN_VALUES} are taken`,
      );
    }
    this.#count(n.values.length);
    return {
      op: n.negated ? 'not in' : 'in',
      attribute: r.attribute,
      values: n.values.map((v) => valueFor(r, v)),
    };
  }

  #between(n: Extract<RawNode, { type: 'between' }>): VisibilityCondition {
    const r = resolveColumn(n.col, this.typeOf);
    checkOperator(r, 'between', 'between');
    this.#count(2);
    const from = valueFor(r, n.from);
    const to = valueFor(r, n.to);
    if (r.name === 'ExecutionStatus' && 'system' in r.attribute) {
      const [lo, hi] = [STATUS_NAMES[from as number]!, STATUS_NAMES[to as number]!];
      return statusCondition(r.attribute, (a) => a >= lo && a <= hi, n.negated);
    }
    return { op: n.negated ? 'not between' : 'between', attribute: r.attribute, from, to };
  }

  #startsWith(n: Extract<RawNode, { type: 'startsWith' }>): VisibilityCondition {
    const r = resolveColumn(n.col, this.typeOf);
    const shown = n.negated ? 'not starts_with' : 'starts_with';
    checkOperator(r, 'startsWith', shown);
    if (n.value.kind !== 'string') {
      throw invalidQuery(
        `${INVALID}: right-hand side of '${shown}' must be a literal string (got: ${describe(n.value)})`,
      );
    }
    this.#count(1);
    const prefix = n.value.value;
    if (r.name === 'ExecutionStatus' && 'system' in r.attribute) {
      return statusCondition(r.attribute, (a) => a.startsWith(prefix), n.negated);
    }
    return { op: n.negated ? 'not starts_with' : 'starts_with', attribute: r.attribute, prefix };
  }
}

/**
 * Resolves a parsed query against the namespace's attributes (`typeOf`: registered custom ones; the system and
 * predefined ones are known here). `count` allows GROUP BY, which Temporal's SQL visibility takes for
 * CountWorkflowExecutions alone, on ExecutionStatus alone; ORDER BY and LIMIT it refuses everywhere.
 */
export function resolveVisibilityQuery(
  raw: RawQuery,
  typeOf: TypeOf,
  options: { count: boolean },
): ResolvedVisibilityQuery {
  if (raw.orderBy) throw invalidQuery(`${NOT_SUPPORTED}: 'ORDER BY' clause`);
  if (raw.limit) throw invalidQuery(`${NOT_SUPPORTED}: 'LIMIT' clause`);
  const out: ResolvedVisibilityQuery = {};
  if (raw.groupBy.length > 0) {
    if (!options.count) throw invalidQuery(`${NOT_SUPPORTED}: 'GROUP BY' clause`);
    if (raw.groupBy.length > 1)
      throw invalidQuery(`${NOT_SUPPORTED}: 'GROUP BY' clause supports only a single field`);
    const r = resolveColumn(raw.groupBy[0]!, typeOf);
    if (r.name !== 'ExecutionStatus') {
      throw invalidQuery(`${NOT_SUPPORTED}: 'GROUP BY' clause is only supported for ExecutionStatus`);
    }
    out.groupBy = 'ExecutionStatus';
  }
  if (raw.where) out.condition = new Resolver(typeOf).node(raw.where);
  return out;
}

/** Text to condition in one step, for callers that know the attribute types already (tests, tools). */
export function parseVisibilityQuery(
  query: string | null | undefined,
  typeOf: TypeOf = () => undefined,
  options: { count: boolean } = { count: false },
): ResolvedVisibilityQuery {
  return resolveVisibilityQuery(parseVisibilityQueryText(query), typeOf, options);
}
