import { type RawBuilder, sql } from 'kysely';
import type {
  SearchAttributeType,
  VisibilityAttribute,
  VisibilityCondition,
  VisibilitySystemAttribute,
  VisibilityValue,
} from '../contract.js';
import type { SqlDialect } from '../dialects/sql-dialect.js';
import { ceilDiv, floorDiv } from '../visibility/datetime.js';
import { textTokens } from '../visibility/text-tokens.js';

// Turns a parsed List/Count condition into SQL over visibility_records (aliased `v`) and
// visibility_search_attributes. Every value becomes a bound parameter; the only text that reaches SQL is this
// file's own (column names from the fixed table below, operators from the condition's closed set of kinds).
//
// SQL's three-valued logic is kept exactly, as Temporal's SQL visibility has it (a missing attribute is NULL, so
// neither `A = 1` nor `NOT A = 1` matches a run without A): each condition compiles to two predicates, `t` (the
// condition is TRUE) and `f` (it is FALSE). A column's comparison E gives t = E, f = NOT E (the database does the
// NULL logic); an attribute stored as rows gives EXISTS forms. NOT swaps t and f; AND and OR combine them by De
// Morgan. The WHERE clause is the top condition's `t`.

type Bool = RawBuilder<boolean>;
type Leaf = Exclude<VisibilityCondition, { op: 'and' | 'or' | 'not' }>;

interface Compiled {
  t: Bool;
  f: Bool;
}

/** How a system attribute is stored: its column, and for times the nanoseconds one stored unit holds. */
interface SystemColumn {
  column: string;
  /** Datetime and duration columns: nanoseconds per stored unit (milliseconds); values arrive in nanoseconds. */
  scale?: bigint;
  /** An integer column: a fractional value is compared exactly (PostgreSQL would refuse it as a BIGINT parameter). */
  integer?: boolean;
}

const MS = 1_000_000n;

const SYSTEM_COLUMNS: Readonly<Record<VisibilitySystemAttribute, SystemColumn>> = {
  WorkflowId: { column: 'workflow_id' },
  RunId: { column: 'run_id' },
  WorkflowType: { column: 'workflow_type' },
  ExecutionStatus: { column: 'status', integer: true },
  TaskQueue: { column: 'task_queue' },
  StartTime: { column: 'start_time', scale: MS },
  ExecutionTime: { column: 'execution_time', scale: MS },
  // Compared as Temporal's SQL visibility does, COALESCE(close_time, end of time): an open run "closes" after
  // every moment. IS NULL looks at close_time itself.
  CloseTime: { column: 'close_order', scale: MS },
  ExecutionDuration: { column: 'execution_duration', scale: MS },
  HistoryLength: { column: 'history_length', integer: true },
  HistorySizeBytes: { column: 'history_size_bytes', integer: true },
  ParentWorkflowId: { column: 'parent_workflow_id' },
  ParentRunId: { column: 'parent_run_id' },
  RootWorkflowId: { column: 'root_workflow_id' },
  RootRunId: { column: 'root_run_id' },
};

/** Custom Datetime values are stored in microseconds, as Temporal's SQL schemas keep them. */
const MICROS = 1_000n;

function and(parts: Bool[]): Bool {
  return parts.length === 1 ? parts[0]! : sql<boolean>`(${sql.join(parts, sql` AND `)})`;
}

function or(parts: Bool[]): Bool {
  return parts.length === 1 ? parts[0]! : sql<boolean>`(${sql.join(parts, sql` OR `)})`;
}

function not(p: Bool): Bool {
  return sql<boolean>`(NOT ${p})`;
}

function fromExpression(e: Bool): Compiled {
  return { t: e, f: not(e) };
}

/** A comparison of an integer column holding time in units of `scale` nanoseconds with a value in nanoseconds. */
function scaledComparison(col: RawBuilder<unknown>, op: string, nanos: bigint, scale: bigint): Bool {
  const exact = nanos % scale === 0n;
  const lower = Number(floorDiv(nanos, scale));
  const upper = Number(ceilDiv(nanos, scale));
  switch (op) {
    case '=':
      // No stored value equals a time between two units: FALSE for every stored value, NULL for none, as `=` is.
      return exact ? sql<boolean>`${col} = ${lower}` : sql<boolean>`${col} <> ${col}`;
    case '!=':
      return exact ? sql<boolean>`${col} <> ${lower}` : sql<boolean>`${col} = ${col}`;
    case '>':
      return sql<boolean>`${col} > ${lower}`;
    case '>=':
      return sql<boolean>`${col} >= ${upper}`;
    case '<':
      return sql<boolean>`${col} < ${upper}`;
    case '<=':
      return sql<boolean>`${col} <= ${lower}`;
    default:
      throw new Error(`not a comparison: ${op}`);
  }
}

function asNanos(value: VisibilityValue): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  throw new TypeError(`expected nanoseconds, got ${typeof value}`);
}

/** How a value meets its column: in nanoseconds over `scale`, against integers only, or as it is. */
interface ColumnKind {
  scale?: bigint;
  integer?: boolean;
}

/** An integer column against a number that may have a fraction: `> 1.5` is `> 1`, `= 1.5` is never true. */
function integerComparison(col: RawBuilder<unknown>, op: string, x: number): Bool {
  if (Number.isInteger(x)) return comparison(col, op, x);
  switch (op) {
    case '=':
      return sql<boolean>`${col} <> ${col}`;
    case '!=':
      return sql<boolean>`${col} = ${col}`;
    case '>':
    case '<=':
      return comparison(col, op, Math.floor(x));
    default:
      return comparison(col, op, Math.ceil(x));
  }
}

/** The comparison `col op value`, the value in the column's terms unless `kind` says otherwise. */
function comparison(
  col: RawBuilder<unknown>,
  op: string,
  value: VisibilityValue,
  kind: ColumnKind = {},
): Bool {
  if (kind.scale !== undefined) return scaledComparison(col, op, asNanos(value), kind.scale);
  if (kind.integer && typeof value === 'number') return integerComparison(col, op, value);
  const v = typeof value === 'boolean' ? (value ? 1 : 0) : typeof value === 'bigint' ? Number(value) : value;
  switch (op) {
    case '=':
      return sql<boolean>`${col} = ${v}`;
    case '!=':
      return sql<boolean>`${col} <> ${v}`;
    case '<':
      return sql<boolean>`${col} < ${v}`;
    case '<=':
      return sql<boolean>`${col} <= ${v}`;
    case '>':
      return sql<boolean>`${col} > ${v}`;
    case '>=':
      return sql<boolean>`${col} >= ${v}`;
    default:
      throw new Error(`not a comparison: ${op}`);
  }
}

/** `col IN (values)`: TRUE when one matches; FALSE for a stored value none matches; NULL for none stored. */
function membership(col: RawBuilder<unknown>, values: VisibilityValue[], kind: ColumnKind): Bool {
  let v: unknown[];
  if (kind.scale !== undefined) {
    const scale = kind.scale;
    v = values
      .map(asNanos)
      .filter((n) => n % scale === 0n)
      .map((n) => Number(n / scale));
  } else {
    v = values.map((x) => (typeof x === 'boolean' ? (x ? 1 : 0) : typeof x === 'bigint' ? Number(x) : x));
    if (kind.integer) v = v.filter((x) => typeof x !== 'number' || Number.isInteger(x));
  }
  return v.length === 0 ? sql<boolean>`${col} <> ${col}` : sql<boolean>`${col} IN (${sql.join(v)})`;
}

function between(
  col: RawBuilder<unknown>,
  from: VisibilityValue,
  to: VisibilityValue,
  kind: ColumnKind,
): Bool {
  return and([comparison(col, '>=', from, kind), comparison(col, '<=', to, kind)]);
}

/** The leaf condition on one stored value `col`, as an expression with SQL's NULL behaviour. */
function leaf(c: Leaf, col: RawBuilder<unknown>, dialect: SqlDialect, kind: ColumnKind = {}): Bool {
  switch (c.op) {
    case '=':
    case '!=':
    case '<':
    case '<=':
    case '>':
    case '>=':
      return comparison(col, c.op, c.value, kind);
    case 'in':
      return membership(col, c.values, kind);
    case 'not in':
      return not(membership(col, c.values, kind));
    case 'between':
      return between(col, c.from, c.to, kind);
    case 'not between':
      return not(between(col, c.from, c.to, kind));
    case 'starts_with':
      return dialect.startsWith(col, c.prefix);
    case 'not starts_with':
      return not(dialect.startsWith(col, c.prefix));
    case 'is null':
      return sql<boolean>`${col} IS NULL`;
    case 'is not null':
      return sql<boolean>`${col} IS NOT NULL`;
  }
}

/** The column of visibility_search_attributes (aliased `a`) that holds values of `type`. */
function valueColumn(type: SearchAttributeType): RawBuilder<unknown> {
  switch (type) {
    case 'Int':
    case 'Bool':
    case 'Datetime':
      return sql.ref('a.int_value');
    case 'Double':
      return sql.ref('a.double_value');
    default:
      return sql.ref('a.keyword');
  }
}

/** Some row of the attribute (of its registered type) for this run satisfies `where` (or exists, without one). */
function rowExists(name: string, type: SearchAttributeType, where?: Bool): Bool {
  return sql<boolean>`EXISTS (SELECT 1 FROM visibility_search_attributes a
    WHERE a.namespace_id = v.namespace_id AND a.run_id = v.run_id AND a.name = ${name} AND a.type = ${type}${
      where === undefined ? sql`` : sql` AND ${where}`
    })`;
}

function customLeaf(c: Leaf, name: string, type: SearchAttributeType, dialect: SqlDialect): Compiled {
  const present = rowExists(name, type);
  if (c.op === 'is null') return { t: not(present), f: present };
  if (c.op === 'is not null') return { t: present, f: not(present) };
  if (type === 'KeywordList' || type === 'Text') {
    // Membership of the list's elements (the value's tokens): "has one of them" is TRUE; a set attribute without
    // any is FALSE; an unset one is unknown.
    const wanted =
      type === 'Text'
        ? textTokens(String((c as { value: VisibilityValue }).value))
        : c.op === 'in' || c.op === 'not in'
          ? c.values.map(String)
          : [String((c as { value: VisibilityValue }).value)];
    const has =
      wanted.length === 0
        ? sql<boolean>`1 = 0`
        : rowExists(name, type, sql<boolean>`a.keyword IN (${sql.join(wanted)})`);
    const hasNone = and([present, not(has)]);
    const positive = c.op === '=' || c.op === 'in';
    return positive ? { t: has, f: hasNone } : { t: hasNone, f: has };
  }
  // A scalar: at most one row, whose value is never NULL, so the row's comparison is TRUE or FALSE.
  const kind: ColumnKind =
    type === 'Datetime' ? { scale: MICROS } : type === 'Int' || type === 'Bool' ? { integer: true } : {};
  const e = leaf(c, valueColumn(type), dialect, kind);
  return { t: rowExists(name, type, e), f: rowExists(name, type, not(e)) };
}

function compile(c: VisibilityCondition, dialect: SqlDialect): Compiled {
  switch (c.op) {
    case 'and': {
      const parts = c.operands.map((o) => compile(o, dialect));
      return { t: and(parts.map((p) => p.t)), f: or(parts.map((p) => p.f)) };
    }
    case 'or': {
      const parts = c.operands.map((o) => compile(o, dialect));
      return { t: or(parts.map((p) => p.t)), f: and(parts.map((p) => p.f)) };
    }
    case 'not': {
      const inner = compile(c.operand, dialect);
      return { t: inner.f, f: inner.t };
    }
    default:
      return compileLeaf(c, c.attribute, dialect);
  }
}

function compileLeaf(c: Leaf, attribute: VisibilityAttribute, dialect: SqlDialect): Compiled {
  if ('custom' in attribute) return customLeaf(c, attribute.custom, attribute.type, dialect);
  if (attribute.system === 'CloseTime' && (c.op === 'is null' || c.op === 'is not null')) {
    return fromExpression(leaf(c, sql.ref('v.close_time'), dialect));
  }
  const { column, ...kind } = SYSTEM_COLUMNS[attribute.system];
  return fromExpression(leaf(c, sql.ref(`v.${column}`), dialect, kind));
}

/** The WHERE predicate of a condition over `visibility_records v`. */
export function conditionSql(condition: VisibilityCondition, dialect: SqlDialect): Bool {
  return compile(condition, dialect).t;
}
