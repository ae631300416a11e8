// The OpenAPI document of Odin's HTTP API: Temporal's own (openapiv3.yaml, shipped with the API protos in the
// pinned @temporalio/core-bridge), reduced to the operations Odin implements and the schemas they reach.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { templateShapeOf } from './path-template.js';
import type { HttpRoute } from './routes.js';

const require = createRequire(import.meta.url);

/** Where Temporal's OpenAPI v3 document of the pinned API version lives. */
export function temporalOpenApiPath(): string {
  const bridge = dirname(require.resolve('@temporalio/core-bridge/package.json'));
  return join(bridge, 'sdk-core/crates/protos/protos/api_upstream/openapi/openapiv3.yaml');
}

interface OpenApiOperation {
  operationId?: string;
  [key: string]: unknown;
}
interface OpenApiDocument {
  info?: Record<string, unknown>;
  paths?: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, unknown> };
  [key: string]: unknown;
}

/** Every `#/components/schemas/X` reached from a value, following schemas into schemas. */
function reachableSchemas(start: unknown, schemas: Record<string, unknown>): Set<string> {
  const seen = new Set<string>();
  const stack: unknown[] = [start];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) stack.push(...value);
    else if (value && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (key === '$ref' && typeof child === 'string' && child.startsWith('#/components/schemas/')) {
          const name = child.slice('#/components/schemas/'.length);
          if (!seen.has(name)) {
            seen.add(name);
            stack.push(schemas[name]);
          }
        } else stack.push(child);
      }
    }
  }
  return seen;
}

/**
 * Temporal's document with only the operations whose method is implemented and whose path and verb are a route of
 * this server, and only the schemas those operations reach.
 */
export function filterOpenApi(
  document: OpenApiDocument,
  routes: readonly HttpRoute[],
  implemented: ReadonlySet<string>,
) {
  const wanted = new Set(
    routes
      .filter((r) => implemented.has(r.method))
      .map((r) => `${r.verb} ${templateShapeOf(r.template.source)}`),
  );
  const paths: Record<string, Record<string, OpenApiOperation>> = {};
  for (const [path, operations] of Object.entries(document.paths ?? {})) {
    for (const [verb, operation] of Object.entries(operations)) {
      if (!operation.operationId || !implemented.has(operation.operationId)) continue;
      if (!wanted.has(`${verb.toUpperCase()} ${templateShapeOf(path)}`)) continue;
      paths[path] ??= {};
      paths[path][verb] = operation;
    }
  }
  const allSchemas = document.components?.schemas ?? {};
  const used = reachableSchemas(paths, allSchemas);
  const schemas = Object.fromEntries(Object.entries(allSchemas).filter(([name]) => used.has(name)));
  return {
    ...document,
    info: {
      ...document.info,
      title: 'Odin HTTP API (Temporal HTTP API, implemented operations)',
      description:
        "Temporal's HTTP API document for the API version Odin serves, reduced to the operations Odin implements.",
    },
    paths,
    components: { ...document.components, schemas },
  };
}

let cachedSource: Promise<OpenApiDocument> | undefined;

/** Temporal's document, parsed once per process. */
export function loadTemporalOpenApi(): Promise<OpenApiDocument> {
  cachedSource ??= readFile(temporalOpenApiPath(), 'utf8').then((text) => parse(text) as OpenApiDocument);
  return cachedSource;
}

/** The served document as YAML. */
export async function odinOpenApiYaml(
  routes: readonly HttpRoute[],
  implemented: ReadonlySet<string>,
): Promise<string> {
  return stringify(filterOpenApi(await loadTemporalOpenApi(), routes, implemented), { lineWidth: 0 });
}
