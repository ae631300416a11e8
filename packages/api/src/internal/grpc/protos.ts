// Odin's internal service definitions (this package's protos/odin/**) import Temporal's API by path, but
// @temporalio/proto ships only a compiled reflection root, not the .proto sources. So our files are parsed into that
// same root and the `temporal.*` / `google.*` imports are skipped: those types are already there, from the pinned npm
// package. Sharing the root also means decoded Temporal fields are the same message classes the frontend's gRPC
// layer produces.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf, { type Method, type Namespace, type Type } from 'protobufjs';
import { protoRoot } from '../../proto.js';

/**
 * The package's own protos/ folder, three levels above this module both as source (src/internal/grpc) and as build
 * output (dist/internal/grpc). The package ships it (package.json `files`), so an installed copy finds it too.
 */
const PROTOS_DIR = new URL('../../../protos/', import.meta.url);

/** The entry files; their `odin/...` imports are parsed too, each once. */
const ENTRY_FILES = ['odin/history/v1/service.proto', 'odin/matching/v1/service.proto'];

// Marks the files already parsed into the shared root, on the root itself: a second copy of this module (src and
// dist in one process) must not parse them again, which protobufjs refuses as duplicate names.
const PARSED = Symbol.for('odin.api.internalProtos.parsed');

type MarkedRoot = typeof protoRoot & { [PARSED]?: Set<string> };

function parseInto(root: MarkedRoot, file: string, parsed: Set<string>): void {
  if (parsed.has(file)) return;
  let source: string;
  try {
    source = readFileSync(fileURLToPath(new URL(file, PROTOS_DIR)), 'utf8');
  } catch (error) {
    throw new Error(
      `cannot read internal proto ${file} under ${fileURLToPath(PROTOS_DIR)}: ${(error as Error).message}`,
    );
  }
  const result = protobuf.parse(source, root, { keepCase: false });
  parsed.add(file);
  for (const imported of result.imports ?? []) {
    if (imported.startsWith('odin/')) parseInto(root, imported, parsed);
  }
}

let loaded = false;

/** Parses Odin's internal protos into the Temporal root once and checks that every referenced type resolved. */
export function loadInternalProtos(): typeof protoRoot {
  if (loaded) return protoRoot;
  const root = protoRoot as MarkedRoot;
  const parsed = root[PARSED] ?? new Set<string>();
  root[PARSED] = parsed;
  for (const file of ENTRY_FILES) parseInto(root, file, parsed);
  (root.lookup('odin') as Namespace).resolveAll();
  loaded = true;
  return protoRoot;
}

export interface RpcTypes {
  /** The gRPC path, `/<package>.<Service>/<Rpc>`. */
  readonly path: string;
  readonly requestType: Type;
  readonly responseType: Type;
}

/** The request/response types of one RPC of an internal service, e.g. ('odin.history.v1.HistoryService', 'QueryWorkflow'). */
export function rpcTypes(serviceName: string, rpc: string): RpcTypes {
  const service = loadInternalProtos().lookupService(serviceName);
  const method: Method | undefined = service.methods[rpc];
  if (!method) throw new Error(`${serviceName} has no RPC ${rpc}`);
  method.resolve();
  if (!method.resolvedRequestType || !method.resolvedResponseType) {
    throw new Error(`${serviceName}.${rpc}: message types did not resolve`);
  }
  return {
    path: `/${serviceName}/${rpc}`,
    requestType: method.resolvedRequestType,
    responseType: method.resolvedResponseType,
  };
}
