import { ServiceError } from '@odin/api';
import type { CallContext, HistoryPeerApi } from '@odin/api';
import type { HistoryEngine } from '../engine.js';

/** How long one call to the host owning the other workflow may take before the task fails and is retried. */
const PEER_CALL_TIMEOUT_MS = 30_000;

/**
 * What a transfer task acting on another workflow needs: the engine for this workflow's side, the owner of the other
 * workflow's shard (this service itself when every shard is local), and the service's shutdown signal.
 */
export interface PeerTaskContext {
  readonly engine: HistoryEngine;
  readonly peers: HistoryPeerApi;
  readonly signal: AbortSignal;
}

export function isCode(error: unknown, code: number): boolean {
  return error instanceof ServiceError && error.code === code;
}

/** The context of one call to the other workflow's owner: the service's shutdown signal and a deadline. */
export function peerCallContext(peer: PeerTaskContext): CallContext {
  return { signal: peer.signal, deadline: peer.engine.now() + PEER_CALL_TIMEOUT_MS };
}
