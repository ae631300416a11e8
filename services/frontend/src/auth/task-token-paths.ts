import { protoRoot } from '@odin/api';
import type { Type } from 'protobufjs';

/** A path to a task token inside a message: field names, '*' standing for every element of a repeated field. */
export type TokenPath = readonly string[];

const TOKEN_FIELD = 'taskToken';
const memo = new Map<Type, TokenPath[]>();
const inProgress = new Set<Type>();

/**
 * Every path from `type` to a `task_token` bytes field, found in the proto definitions, so a message that carries
 * tokens (a poll response, eager tasks in a start or completion response) is covered the day the pinned proto
 * package adds it. Recursive types end the walk where they repeat (none of them holds a task token).
 */
export function taskTokenPaths(type: Type): TokenPath[] {
  const known = memo.get(type);
  if (known) return known;
  if (inProgress.has(type)) return [];
  inProgress.add(type);
  const paths: TokenPath[] = [];
  for (const field of type.fieldsArray) {
    field.resolve();
    if (field.name === TOKEN_FIELD && field.type === 'bytes' && !field.repeated) {
      paths.push([field.name]);
      continue;
    }
    // Map values hold no task token in any Temporal message; they are not walked.
    if (field.map) continue;
    const nested = field.resolvedType;
    if (nested && 'fieldsArray' in nested) {
      for (const rest of taskTokenPaths(nested as Type)) {
        paths.push(field.repeated ? [field.name, '*', ...rest] : [field.name, ...rest]);
      }
    }
  }
  inProgress.delete(type);
  memo.set(type, paths);
  return paths;
}

/** Token paths of a method's request and response. */
export function methodTokenPaths(
  service: string,
  method: string,
): { request: TokenPath[]; response: TokenPath[] } {
  const found = protoRoot.lookupService(service).methods[method];
  if (!found) return { request: [], response: [] };
  found.resolve();
  return {
    request: found.resolvedRequestType ? taskTokenPaths(found.resolvedRequestType) : [],
    response: found.resolvedResponseType ? taskTokenPaths(found.resolvedResponseType) : [],
  };
}

/** A shallow copy that keeps the prototype (decoded protobufjs messages keep their field defaults there). */
function copyOf<T extends object>(value: T): T {
  return Object.assign(Object.create(Object.getPrototypeOf(value) as object | null) as T, value);
}

/**
 * `message` with every token at `path` replaced by `replace(token)` (non-empty tokens only), copied along the
 * way: the original is never changed, as it may be a response history keeps for a retried call.
 */
export function replaceTokens(
  message: unknown,
  path: TokenPath,
  replace: (token: Uint8Array) => Uint8Array,
): unknown {
  if (message === null || typeof message !== 'object') return message;
  const [head, ...rest] = path;
  if (head === undefined) return message;
  if (head === '*') {
    if (!Array.isArray(message)) return message;
    return message.map((item) => replaceTokens(item, rest, replace));
  }
  const current = (message as Record<string, unknown>)[head];
  if (rest.length === 0) {
    if (!(current instanceof Uint8Array) || current.length === 0) return message;
    const copy = copyOf(message as Record<string, unknown>);
    copy[head] = replace(current);
    return copy;
  }
  if (current === null || typeof current !== 'object') return message;
  const replaced = replaceTokens(current, rest, replace);
  if (replaced === current) return message;
  const copy = copyOf(message as Record<string, unknown>);
  copy[head] = replaced;
  return copy;
}
