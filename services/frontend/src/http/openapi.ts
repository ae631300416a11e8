// The OpenAPI document of Odin's HTTP API: Temporal's own (openapiv3.yaml, shipped with the API protos in the
// pinned @temporalio/core-bridge), reduced to the operations Odin implements and the schemas they reach.
//
// The reduction runs at build time (scripts/build-openapi.mjs writes dist/openapi.yaml after `tsc -b`), so the
// 148 MB core-bridge package and a YAML library are devDependencies only; at run time the server reads one file.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { templateShapeOf } from './path-template.js';
import type { HttpRoute } from './routes.js';

/** Where Temporal's OpenAPI v3 document of the pinned API version lives inside @temporalio/core-bridge. */
export const TEMPORAL_OPENAPI_IN_CORE_BRIDGE =
  'sdk-core/crates/protos/protos/api_upstream/openapi/openapiv3.yaml';

/**
 * The built document: this module sits two folders below the package root both as source (src/http) and as
 * build output (dist/http), so the same relative path finds the package's dist/openapi.yaml from either.
 */
export const OPENAPI_DOCUMENT_PATH = fileURLToPath(new URL('../../dist/openapi.yaml', import.meta.url));

interface OpenApiOperation {
  operationId?: string;
  [key: string]: unknown;
}
export interface OpenApiDocument {
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
 * Temporal's document with only the operations that are one of `routes` (same RPC, verb and path shape), and only
 * the schemas those operations reach. `routes` are the routes whose RPC this server implements.
 */
export function filterOpenApi(document: OpenApiDocument, routes: readonly HttpRoute[]): OpenApiDocument {
  const implemented = new Set(routes.map((r) => r.method));
  const wanted = new Set(routes.map((r) => `${r.verb} ${templateShapeOf(r.template.source)}`));
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

/** The document isn't there: the package was compiled without its build step. */
export class OpenApiDocumentMissingError extends Error {
  constructor(readonly path: string) {
    super(
      `The OpenAPI document is not built (no ${path}); run "node scripts/setup.mjs", or ` +
        '"node services/frontend/scripts/build-openapi.mjs" after "npx tsc -b".',
    );
  }
}

/** The served document (YAML), as the build wrote it. */
export async function readOpenApiDocument(path: string = OPENAPI_DOCUMENT_PATH): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new OpenApiDocumentMissingError(path);
    throw error;
  }
}
