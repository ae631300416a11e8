// grpc-gateway path templates (google.api.http), parsed and matched.
//
// Hand-written: the template grammar is google.api's own (`/v1/{name=shelves/*}/books:verb`, `*`, `**`, dotted field
// paths), which no maintained JavaScript router speaks; a router library would still need this translation, so the
// whole grammar is implemented here in one place.
//
//   Template = "/" Segments [ ":" Verb ] ;   Segments = Segment { "/" Segment } ;
//   Segment  = "*" | "**" | LITERAL | Variable ;   Variable = "{" FieldPath [ "=" Segments ] "}" ;

type Segment =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'any' } // `*`: exactly one segment
  | { readonly kind: 'rest' }; // `**`: the remaining segments (only last)

interface VariableSpan {
  /** Dotted proto field path, e.g. `execution.workflow_id`. */
  readonly fieldPath: string;
  readonly start: number;
  /** Segments the variable covers; Infinity for a trailing `**`. */
  readonly length: number;
}

export interface PathTemplate {
  /** The template as written in the annotation. */
  readonly source: string;
  readonly segments: readonly Segment[];
  readonly variables: readonly VariableSpan[];
  readonly verb: string | undefined;
}

function parseSegments(text: string, source: string): Segment[] {
  return text.split('/').map((part): Segment => {
    if (part === '*') return { kind: 'any' };
    if (part === '**') return { kind: 'rest' };
    if (part === '' || /[{}=*]/.test(part))
      throw new Error(`invalid segment "${part}" in path template ${source}`);
    return { kind: 'literal', value: part };
  });
}

/** Parses a google.api.http path template; throws naming the template when it is malformed. */
export function parsePathTemplate(source: string): PathTemplate {
  if (!source.startsWith('/')) throw new Error(`path template must start with "/": ${source}`);
  let body = source.slice(1);
  let verb: string | undefined;
  const lastSlash = body.lastIndexOf('/');
  const lastBrace = body.lastIndexOf('}');
  const colon = body.indexOf(':', Math.max(lastSlash, lastBrace) + 1);
  if (colon >= 0) {
    verb = body.slice(colon + 1);
    body = body.slice(0, colon);
  }
  const segments: Segment[] = [];
  const variables: VariableSpan[] = [];
  let i = 0;
  while (i < body.length) {
    if (body[i] === '{') {
      const end = body.indexOf('}', i);
      if (end < 0) throw new Error(`unclosed variable in path template ${source}`);
      const inner = body.slice(i + 1, end);
      const eq = inner.indexOf('=');
      const fieldPath = eq < 0 ? inner : inner.slice(0, eq);
      if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(fieldPath)) {
        throw new Error(`invalid field path "${fieldPath}" in path template ${source}`);
      }
      const covered: Segment[] = eq < 0 ? [{ kind: 'any' }] : parseSegments(inner.slice(eq + 1), source);
      const length = covered.some((s) => s.kind === 'rest') ? Number.POSITIVE_INFINITY : covered.length;
      variables.push({ fieldPath, start: segments.length, length });
      segments.push(...covered);
      i = end + 1;
    } else {
      const next = body.indexOf('/', i);
      const end = next < 0 ? body.length : next;
      segments.push(...parseSegments(body.slice(i, end), source));
      i = end;
    }
    if (i < body.length) {
      if (body[i] !== '/') throw new Error(`unexpected "${body[i]}" in path template ${source}`);
      i++;
    }
  }
  const restAt = segments.findIndex((s) => s.kind === 'rest');
  if (restAt >= 0 && restAt !== segments.length - 1) throw new Error(`"**" must be last in ${source}`);
  return { source, segments, variables, verb };
}

function decodeSegment(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/**
 * Matches a raw (still percent-encoded) URL path. Returns the variables by field path, each segment decoded (so
 * `%2F` inside a workflow id becomes `/`), or undefined when the path does not fit.
 */
export function matchPathTemplate(template: PathTemplate, rawPath: string): Map<string, string> | undefined {
  let path = rawPath;
  if (template.verb !== undefined) {
    const suffix = `:${template.verb}`;
    if (!path.endsWith(suffix)) return undefined;
    path = path.slice(0, -suffix.length);
  }
  if (!path.startsWith('/')) return undefined;
  const parts = path.slice(1).split('/');
  const { segments } = template;
  const endsWithRest = segments[segments.length - 1]?.kind === 'rest';
  if (endsWithRest ? parts.length < segments.length - 1 : parts.length !== segments.length) return undefined;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment.kind === 'rest') break;
    const part = parts[i]!;
    if (segment.kind === 'literal' ? part !== segment.value : part === '') return undefined;
  }
  const values = new Map<string, string>();
  for (const variable of template.variables) {
    const end = Number.isFinite(variable.length) ? variable.start + variable.length : parts.length;
    const decoded = parts.slice(variable.start, end).map(decodeSegment);
    if (decoded.some((d) => d === undefined)) return undefined;
    values.set(variable.fieldPath, decoded.join('/'));
  }
  return values;
}

const RANK = { literal: 0, any: 1, rest: 2 } as const;

/**
 * Orders templates most specific first: at the first differing segment a literal beats a wildcard, and a longer
 * template beats a shorter one, so `/workflows/execute-multi-operation` wins over `/workflows/{workflow_id}`.
 */
export function compareSpecificity(a: PathTemplate, b: PathTemplate): number {
  const n = Math.min(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const diff = RANK[a.segments[i]!.kind] - RANK[b.segments[i]!.kind];
    if (diff !== 0) return diff;
  }
  if (a.segments.length !== b.segments.length) return b.segments.length - a.segments.length;
  return (a.verb === undefined ? 1 : 0) - (b.verb === undefined ? 1 : 0);
}

/** The template with every variable written as `{}`, to compare routes whatever their variable spelling. */
export function templateShape(template: PathTemplate): string {
  return templateShapeOf(template.source);
}

/** Same as templateShape for a raw template or an OpenAPI path (`{signalName}` and `{signal_name}` alike). */
export function templateShapeOf(source: string): string {
  return source.replace(/\{[^}]*\}/g, '{}');
}
