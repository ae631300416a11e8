import type { CallContext, HistoryApi, MatchingApi, PeerIdentity } from '@odin/api';
import type { PersistenceStore, SearchAttributeRegistry } from '@odin/persistence';
import type { Logger, RuntimeContext } from '@odin/runtime';
import type { NamespaceResolver } from './namespaces.js';

/** What one RPC handler gets besides its request: the call's cancellation, deadline and ids, and a logger. */
export interface RpcCall extends CallContext {
  readonly method: string;
  readonly correlationId: string;
  readonly logger: Logger;
  /**
   * The client's verified TLS certificate (subject, SANs, fingerprint), when the call came over mutual TLS; unset
   * for plaintext calls and TLS calls without a client certificate.
   */
  readonly peer?: PeerIdentity;
}

/** Everything the handlers of the frontend share. */
export interface FrontendDeps {
  readonly ctx: RuntimeContext<PersistenceStore>;
  readonly history: HistoryApi;
  readonly matching: MatchingApi;
  readonly namespaces: NamespaceResolver;
  /** Each namespace's registered search attributes (starts, queries, OperatorService). */
  readonly searchAttributes: SearchAttributeRegistry;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry is keyed by method name; each handler is typed where it is written.
export type Handler = (request: any, call: RpcCall) => Promise<object>;
export type HandlerMap = Readonly<Record<string, Handler>>;

export type { WorkflowServiceRequest as Req, WorkflowServiceResponse as Res } from '@odin/api';
