import { ServiceError } from '@odin/api';
import type { RawNode, RawValue } from './visibility-query-grammar.js';
import { parseVisibilityQueryText } from './visibility-query.js';

/**
 * The list filter of ListSchedules / CountSchedules, evaluated over the schedules of a namespace in memory:
 * Temporal's query grammar (parsed by the visibility parser) over `ScheduleId`, `TemporalSchedulePaused` and the
 * schedules' own search attributes. Hand-written (a small tree walk) because the visibility store compiles queries
 * to SQL over workflow rows, and schedules are not workflow rows here.
 */
export interface ScheduleQueryEntry {
  readonly scheduleId: string;
  readonly paused: boolean;
  /** The schedule's search attributes, decoded (a KeywordList is an array). */
  readonly searchAttributes: Readonly<Record<string, unknown>>;
}

function invalid(message: string): ServiceError {
  return ServiceError.invalidArgument(`invalid query: ${message}`);
}

function literal(value: RawValue): unknown {
  switch (value.kind) {
    case 'string':
      return value.value;
    case 'number':
      return Number(value.text);
    case 'bool':
      return value.value;
    case 'null':
      return null;
    default:
      throw invalid(`a column (${value.name}) cannot be compared with another column`);
  }
}

function attribute(entry: ScheduleQueryEntry, name: string): unknown {
  if (name === 'ScheduleId') return entry.scheduleId;
  if (name === 'TemporalSchedulePaused') return entry.paused;
  return entry.searchAttributes[name];
}

/** The values an attribute holds: a KeywordList holds each element. */
function valuesOf(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function compare(a: unknown, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return undefined;
}

function matches(node: RawNode, entry: ScheduleQueryEntry): boolean {
  switch (node.type) {
    case 'or':
      return node.items.some((item) => matches(item, entry));
    case 'and':
      return node.items.every((item) => matches(item, entry));
    case 'not':
      return !matches(node.item, entry);
    case 'compare': {
      const want = literal(node.value);
      const held = valuesOf(attribute(entry, node.col.name));
      const test = (v: unknown) => {
        const c = compare(v, want);
        if (c === undefined) return false;
        switch (node.op) {
          case '=':
            return c === 0;
          case '!=':
            return c !== 0;
          case '<':
            return c < 0;
          case '<=':
            return c <= 0;
          case '>':
            return c > 0;
          default:
            return c >= 0;
        }
      };
      return node.op === '!=' ? held.length > 0 && held.every(test) : held.some(test);
    }
    case 'in': {
      const wanted = node.values.map(literal);
      const found = valuesOf(attribute(entry, node.col.name)).some((v) =>
        wanted.some((w) => compare(v, w) === 0),
      );
      return node.negated ? !found : found;
    }
    case 'between': {
      const from = literal(node.from);
      const to = literal(node.to);
      const inside = valuesOf(attribute(entry, node.col.name)).some(
        (v) => (compare(v, from) ?? -1) >= 0 && (compare(v, to) ?? 1) <= 0,
      );
      return node.negated ? !inside : inside;
    }
    case 'startsWith': {
      const prefix = literal(node.value);
      if (typeof prefix !== 'string') throw invalid('STARTS_WITH takes a string');
      const found = valuesOf(attribute(entry, node.col.name)).some(
        (v) => typeof v === 'string' && v.startsWith(prefix),
      );
      return node.negated ? !found : found;
    }
    case 'is': {
      const isNull = valuesOf(attribute(entry, node.col.name)).length === 0;
      return node.negated ? !isNull : isNull;
    }
    default:
      throw invalid(`operator '${node.op}' is not supported`);
  }
}

/** The filter of a query (every schedule for an empty one); INVALID_ARGUMENT for one it cannot run. */
export function scheduleQueryFilter(
  query: string | null | undefined,
): (entry: ScheduleQueryEntry) => boolean {
  if (!query || query.trim() === '') return () => true;
  const raw = parseVisibilityQueryText(query);
  if (raw.groupBy.length > 0 || raw.orderBy || raw.limit)
    throw invalid('GROUP BY, ORDER BY and LIMIT are not supported in a schedule query');
  const where = raw.where;
  if (!where) return () => true;
  return (entry) => matches(where, entry);
}
