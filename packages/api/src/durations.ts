import type { Field, Type } from 'protobufjs';
import { type Int64Like, toNumber } from './int64.js';

// google.protobuf.Duration's own rules (duration.proto): seconds within ±10,000 years, nanos below one second and of
// the seconds' sign. A message can hold values outside them; Temporal refuses such a duration wherever it takes one.

export const MAX_DURATION_SECONDS = 315_576_000_000;
const MAX_NANOS = 999_999_999;
const DURATION_TYPE = '.google.protobuf.Duration';

type DurationLike = { seconds?: Int64Like; nanos?: number | null } | null | undefined;

/** Why `d` is not a valid google.protobuf.Duration, or undefined when it is (unset counts as valid). */
export function durationProblem(d: DurationLike): string | undefined {
  if (!d) return undefined;
  const seconds = toNumber(d.seconds);
  const nanos = d.nanos ?? 0;
  if (!Number.isInteger(nanos) || Math.abs(nanos) > MAX_NANOS) {
    return `nanos must be between 0 and ${MAX_NANOS}, got ${nanos}`;
  }
  if (!Number.isFinite(seconds) || Math.abs(seconds) > MAX_DURATION_SECONDS) {
    return `seconds must be at most ${MAX_DURATION_SECONDS}`;
  }
  if ((seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)) return 'seconds and nanos must have one sign';
  return undefined;
}

/** Per message type: whether a Duration can occur anywhere below it (so walks skip the types that hold none). */
const holdsDuration = new Map<string, boolean>();

function nestedTypes(type: Type): Type[] {
  const out: Type[] = [];
  for (const field of type.fieldsArray) {
    field.resolve();
    const nested = field.resolvedType;
    if (nested && 'fieldsArray' in nested) out.push(nested as Type);
  }
  return out;
}

/**
 * Answers from the cache; on a type not seen yet, settles every type reachable from it at once: each starts at
 * "holds none" and turns "holds one" when a field's type is Duration or holds one, until nothing changes (message
 * types can be recursive, so a plain recursion would not end).
 */
function mayHoldDuration(type: Type): boolean {
  // protobufjs computes `fullName` from the parent chain on every read (an array and a join): the answer is kept per
  // Type object too, so a request's walk reads no names (this check runs on every request).
  const cached = holdsByType.get(type);
  if (cached !== undefined) return cached;
  const answer = settleHoldsDuration(type);
  holdsByType.set(type, answer);
  return answer;
}

const holdsByType = new WeakMap<Type, boolean>();

/** A Duration field's type: `name` first, a plain property, so other types never compute their full name. */
const isDurationType = (type: Type): boolean => type.name === 'Duration' && type.fullName === DURATION_TYPE;

function settleHoldsDuration(type: Type): boolean {
  const known = holdsDuration.get(type.fullName);
  if (known !== undefined) return known;
  const reachable = new Map<string, Type>([[type.fullName, type]]);
  const queue = [type];
  while (queue.length > 0) {
    for (const nested of nestedTypes(queue.pop()!)) {
      if (!reachable.has(nested.fullName)) {
        reachable.set(nested.fullName, nested);
        queue.push(nested);
      }
    }
  }
  const holds = new Map<string, boolean>();
  for (const name of reachable.keys())
    holds.set(name, name === DURATION_TYPE || holdsDuration.get(name) === true);
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, t] of reachable) {
      if (holds.get(name)) continue;
      if (nestedTypes(t).some((n) => holds.get(n.fullName))) {
        holds.set(name, true);
        changed = true;
      }
    }
  }
  for (const [name, value] of holds) holdsDuration.set(name, value);
  return holds.get(type.fullName)!;
}

const durationFieldsByType = new WeakMap<Type, Field[]>();

/** The fields of `type` whose message type is or holds a Duration, kept per type: the walk looks at no other. */
function durationFields(type: Type): Field[] {
  let fields = durationFieldsByType.get(type);
  if (!fields) {
    fields = type.fieldsArray.filter((field) => {
      field.resolve();
      const nested = field.resolvedType;
      return nested !== null && 'fieldsArray' in nested && mayHoldDuration(nested as Type);
    });
    durationFieldsByType.set(type, fields);
  }
  return fields;
}

const fieldLabel = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/**
 * The first Duration anywhere in `message` (a decoded message of `type`) that is not valid, as
 * `Field.Path: why`, or undefined. Walks with its own stack: messages nest as deep as a client made them (failure
 * causes), and the decoder that built them took that depth already. Top-level fields named in `skip` are left out.
 */
export function findInvalidDuration(
  type: Type,
  message: unknown,
  skip: ReadonlySet<string> = new Set(),
): string | undefined {
  if (!mayHoldDuration(type)) return undefined;
  const stack: [Type, unknown, string][] = [[type, message, '']];
  while (stack.length > 0) {
    const [t, value, path] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    for (const field of durationFields(t)) {
      if (path === '' && skip.has(field.name)) continue;
      const nested = field.resolvedType as Type;
      const v = (value as Record<string, unknown>)[field.name];
      if (v === null || v === undefined) continue;
      const items: unknown[] = field.map
        ? Object.values(v as object)
        : field.repeated
          ? (v as unknown[])
          : [v];
      const at = path === '' ? fieldLabel(field.name) : `${path}.${fieldLabel(field.name)}`;
      for (const item of items) {
        if (isDurationType(nested as Type)) {
          const problem = durationProblem(item as DurationLike);
          if (problem) return `${at}: ${problem}`;
        } else {
          stack.push([nested as Type, item, at]);
        }
      }
    }
  }
  return undefined;
}
