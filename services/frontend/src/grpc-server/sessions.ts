// The HTTP/2 connections (sessions) of the port: each one's idle timer (GOAWAY once it has had no call for the idle
// timeout, as grpc-js's `grpc.max_connection_idle_ms`), its verified client certificate (read once per connection,
// not per call), and the graceful close of them all when the server stops.
import { constants, type ServerHttp2Session } from 'node:http2';
import { type PeerCertificate, TLSSocket } from 'node:tls';

/** One session's state. */
export class SessionState {
  readonly session: ServerHttp2Session;
  /** Calls open on the session: streams of their own, and calls in flight on its multiplexed streams. */
  active = 0;
  /** Epoch ms the session last became idle (no call open). */
  lastIdle = Date.now();
  timer: NodeJS.Timeout | undefined;
  /**
   * The session's multiplexed call streams (mux-stream.ts). They stay open between calls, so a GOAWAY alone would
   * never let the session close: closing the session drains them too.
   */
  readonly muxStreams = new Set<{ drain(): void }>();
  #peer: PeerCertificate | null | undefined;

  constructor(session: ServerHttp2Session) {
    this.session = session;
  }

  /** A call opened on the session (a stream of its own, or a call on a multiplexed stream). */
  callStarted(): void {
    this.active++;
  }

  /** A call ended: the session is idle from now on if it was the last. */
  callEnded(): void {
    if (--this.active === 0) this.lastIdle = Date.now();
  }

  /** GOAWAY: calls running finish, the multiplexed streams end once their calls have answered. */
  close(): void {
    if (!this.session.closed) this.session.close();
    for (const stream of [...this.muxStreams]) stream.drain();
  }

  /** The client certificate the TLS handshake verified; undefined on plaintext or without one. */
  peerCertificate(): PeerCertificate | undefined {
    if (this.#peer === undefined) {
      const socket = this.session.socket;
      const certificate =
        socket instanceof TLSSocket && socket.authorized ? socket.getPeerCertificate() : undefined;
      this.#peer = certificate?.raw ? certificate : null;
    }
    return this.#peer ?? undefined;
  }
}

function onIdleTimer(sessions: Sessions, state: SessionState): void {
  sessions.checkIdle(state);
}

/** Every open session of a server. */
export class Sessions {
  readonly #idleMs: number;
  readonly #all = new Map<ServerHttp2Session, SessionState>();
  #closing = false;

  /** `idleMs`: close a session this long without a call; 0 or less (or 2^31 - 1 ms and more) never. */
  constructor(idleMs: number) {
    this.#idleMs = idleMs > 0 && idleMs < 2 ** 31 - 1 ? idleMs : 0;
  }

  get size(): number {
    return this.#all.size;
  }

  /** Tracks a new session; one that arrives while the server closes is closed at once. */
  add(session: ServerHttp2Session): SessionState {
    const state = new SessionState(session);
    this.#all.set(session, state);
    session.once('close', () => {
      if (state.timer) clearTimeout(state.timer);
      this.#all.delete(session);
    });
    if (this.#closing) {
      session.close();
      return state;
    }
    if (this.#idleMs > 0) {
      // A real-time timer, as grpc-js's: it measures a real connection.
      state.timer = setTimeout(onIdleTimer, this.#idleMs, this, state);
      state.timer.unref();
    }
    return state;
  }

  /** The idle timer fired: GOAWAY when the session has been idle long enough, else wait for the rest. */
  checkIdle(state: SessionState): void {
    const timer = state.timer;
    if (!timer || state.session.closed || state.session.destroyed) return;
    if (state.active > 0) {
      // Checked again a full timeout from now; the last stream's close sets lastIdle.
      timer.refresh();
      return;
    }
    const idleFor = Date.now() - state.lastIdle;
    if (idleFor >= this.#idleMs) {
      state.timer = undefined;
      state.close();
      return;
    }
    state.timer = setTimeout(onIdleTimer, this.#idleMs - idleFor, this, state);
    state.timer.unref();
  }

  /** GOAWAY to every session; resolves once every stream has finished and every session closed. */
  closeAll(): Promise<void> {
    this.#closing = true;
    const closed = [...this.#all.values()].map(
      (state) =>
        new Promise<void>((resolve) => {
          // `closed` is set as soon as a close began (the HTTP/2 server's own close begins one): only the 'close'
          // event says the session is gone.
          if (state.session.destroyed) {
            resolve();
            return;
          }
          state.session.once('close', () => resolve());
          state.close();
        }),
    );
    return Promise.all(closed).then(() => undefined);
  }

  /** Destroys every session still open (the end of a shutdown's grace): their streams are reset. */
  destroyAll(): void {
    this.#closing = true;
    for (const session of [...this.#all.keys()]) session.destroy(undefined, constants.NGHTTP2_CANCEL);
    this.#all.clear();
  }
}
