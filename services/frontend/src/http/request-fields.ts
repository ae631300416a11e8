// Path variables and query parameters bound into a request's proto3 JSON, the way grpc-gateway binds them:
// dotted field paths (proto or JSON names), repeated fields by repeating the parameter, enums by name or number,
// and unknown parameters ignored. The values are put into the JSON tree that protobufjs's protojson then parses,
// so each scalar is only shaped here (a bool from "true", a number from "10"); protojson checks it.
import { Enum, type Field, MapField, Type } from 'protobufjs';
import type { Json, JsonObject } from './payload-shorthand.js';

/** Query parameters of Temporal's HTTP API that are options of the call, not request fields. */
export const RESERVED_QUERY_PARAMETERS: ReadonlySet<string> = new Set(['pretty', 'noPayloadShorthand']);

const NUMBER_TYPES = new Set(['int32', 'sint32', 'sfixed32', 'uint32', 'fixed32', 'float', 'double']);

function fieldByAnyName(type: Type, name: string): Field | undefined {
  const direct = type.fields[name];
  if (direct) return direct.resolve();
  return type.fieldsArray.find((f) => {
    f.resolve();
    return f.protoName === name || f.jsonName === name;
  });
}

/** A string from a URL as the JSON value protojson expects for the field's type. */
function scalarValue(field: Field, raw: string): Json {
  if (field.resolvedType instanceof Enum) return /^-?\d+$/.test(raw) ? Number(raw) : raw;
  if (field.type === 'bool') return raw === 'true' ? true : raw === 'false' ? false : raw;
  if (NUMBER_TYPES.has(field.type) && raw.trim() !== '' && Number.isFinite(Number(raw))) return Number(raw);
  return raw;
}

/** Error for a field path that names something a URL cannot set (a map, or a message given as a whole). */
export class FieldPathError extends Error {}

/**
 * Sets the field at a dotted path in a request's JSON. `append` says what a repeated field does: path variables
 * replace, query parameters append. Returns false when the path names no field (grpc-gateway ignores those).
 */
export function setFieldPath(
  type: Type,
  json: JsonObject,
  path: string,
  raw: string,
  append: boolean,
): boolean {
  const names = path.split('.');
  let current = json;
  let currentType = type;
  for (let i = 0; i < names.length; i++) {
    const field = fieldByAnyName(currentType, names[i]!);
    if (!field) return false;
    const key = field.name;
    const last = i === names.length - 1;
    if (field instanceof MapField)
      throw new FieldPathError(`${path}: a map field cannot be set from the URL`);
    if (!last) {
      if (!(field.resolvedType instanceof Type) || field.repeated) {
        throw new FieldPathError(`${path}: ${names[i]} is not a message field`);
      }
      const next = current[key];
      const child: JsonObject = typeof next === 'object' && next !== null && !Array.isArray(next) ? next : {};
      current[key] = child;
      current = child;
      currentType = field.resolvedType;
      continue;
    }
    const value = scalarValue(field, raw);
    if (field.repeated) {
      const existing = current[key];
      current[key] = append && Array.isArray(existing) ? [...existing, value] : [value];
    } else {
      current[key] = value;
    }
  }
  return true;
}

/** Adds the query parameters of a body-less call to its request JSON. */
export function bindQueryParameters(type: Type, json: JsonObject, query: URLSearchParams): void {
  for (const [name, raw] of query) {
    if (RESERVED_QUERY_PARAMETERS.has(name)) continue;
    setFieldPath(type, json, name, raw, true);
  }
}
