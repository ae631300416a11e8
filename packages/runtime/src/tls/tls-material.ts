// One listener's TLS material, reloaded from disk while the process runs (certificate rotation).
//
// grpc-js 1.14 swaps the credentials of a running server or channel through its experimental CertificateProvider
// interface (createCertificateProviderServerCredentials / createCertificateProviderChannelCredentials: new
// connections use the newest material, open connections keep theirs). This class is such a provider. The provider
// grpc-js ships, FileWatcherCertificateProvider, is not used because (1) it re-reads the files on its own
// setInterval, not on the injected clock; (2) a read that fails once (a file replaced while it is read) withdraws
// the credentials, and a grpc-js server without credentials drops every new connection; (3) it hands over a
// certificate and key that do not belong together (the certificate written, its key not yet), which the server then
// fails to load, with the same effect. Here the files' metadata is polled on the clock, a change is read and
// checked as a whole (pem-files.ts), and only material that passes replaces the current one; anything else is
// logged and the current material keeps serving until the files are fixed.
//
// The same object serves node:tls / node:https listeners through current() and onChange() (see https.ts), so
// every public listener of a process shares one TlsMaterial.
import { stat } from 'node:fs/promises';
import type { Clock, TimerHandle } from '@odin/hugo';
import type { Logger } from '../logger.js';
import { type LoadedTls, readTlsFiles, type TlsFiles, type TlsPem } from './pem-files.js';

/** grpc-js's IdentityCertificateUpdate (structurally: this package does not depend on grpc-js). */
export interface IdentityCertificateUpdate {
  certificate: Buffer;
  privateKey: Buffer;
}

/** grpc-js's CaCertificateUpdate. */
export interface CaCertificateUpdate {
  caCertificate: Buffer;
}

export type IdentityCertificateUpdateListener = (update: IdentityCertificateUpdate | null) => void;
export type CaCertificateUpdateListener = (update: CaCertificateUpdate | null) => void;

/** grpc-js's experimental CertificateProvider, which TlsMaterial implements. */
export interface CertificateProvider {
  addCaCertificateListener(listener: CaCertificateUpdateListener): void;
  removeCaCertificateListener(listener: CaCertificateUpdateListener): void;
  addIdentityCertificateListener(listener: IdentityCertificateUpdateListener): void;
  removeIdentityCertificateListener(listener: IdentityCertificateUpdateListener): void;
}

export interface TlsMaterialOptions {
  readonly clock: Clock;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  /** How often the files' metadata is checked for a change. */
  readonly refreshIntervalMs: number;
  /** Stops the polling when it aborts (the material keeps what it has). */
  readonly signal?: AbortSignal;
  /** Which listener(s) the material is for, in log lines: e.g. "public", "internal". */
  readonly name: string;
}

/** Thrown when the files cannot be loaded at start: a process must not start on TLS material it cannot use. */
export class TlsMaterialError extends Error {
  constructor(
    readonly listener: string,
    readonly reason: string,
  ) {
    super(`TLS material of the ${listener} listeners: ${reason}`);
    this.name = 'TlsMaterialError';
  }
}

/** Identifies a version of a file without reading it: a rename over it, or a write into it, changes this. */
async function fileStamp(path: string): Promise<string> {
  try {
    const info = await stat(path);
    return `${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
  } catch (error) {
    return `missing:${(error as NodeJS.ErrnoException).code ?? ''}`;
  }
}

function samePem(a: TlsPem, b: TlsPem): boolean {
  return (
    a.cert.equals(b.cert) &&
    a.key.equals(b.key) &&
    (a.ca === undefined ? b.ca === undefined : b.ca !== undefined && a.ca.equals(b.ca))
  );
}

/**
 * A certificate, its key and an optional CA bundle, read from files and re-read when they change. Load it with
 * `TlsMaterial.load`, which fails when the files are unusable.
 */
export class TlsMaterial implements CertificateProvider {
  readonly files: TlsFiles;
  readonly #options: TlsMaterialOptions;
  #loaded: LoadedTls;
  #stamps: string;
  #timer: TimerHandle | undefined;
  #checking: Promise<boolean> | undefined;
  #closed = false;
  readonly #changeListeners = new Set<(material: LoadedTls) => void>();
  readonly #identityListeners = new Set<IdentityCertificateUpdateListener>();
  readonly #caListeners = new Set<CaCertificateUpdateListener>();

  private constructor(files: TlsFiles, loaded: LoadedTls, stamps: string, options: TlsMaterialOptions) {
    this.files = files;
    this.#loaded = loaded;
    this.#stamps = stamps;
    this.#options = options;
    options.signal?.addEventListener('abort', () => this.close(), { once: true });
    this.#logLoaded('TLS material loaded');
    this.#schedule();
  }

  /** Reads and checks `files`, then watches them. Throws TlsMaterialError when they are unusable. */
  static async load(files: TlsFiles, options: TlsMaterialOptions): Promise<TlsMaterial> {
    const stamps = await TlsMaterial.#stampsOf(files);
    const loaded = await readTlsFiles(files);
    if (!loaded.ok) throw new TlsMaterialError(options.name, loaded.error.message);
    return new TlsMaterial(files, loaded.value, stamps, options);
  }

  static async #stampsOf(files: TlsFiles): Promise<string> {
    const paths = [files.certFile, files.keyFile, ...(files.caFile === undefined ? [] : [files.caFile])];
    return (await Promise.all(paths.map(fileStamp))).join('|');
  }

  /** The material in use now. */
  current(): LoadedTls {
    return this.#loaded;
  }

  /** Whether a CA bundle is part of the material (on a server: client certificates are required). */
  get hasCa(): boolean {
    return this.files.caFile !== undefined;
  }

  /** Calls `listener` with the new material after each accepted change; returns the unsubscribe function. */
  onChange(listener: (material: LoadedTls) => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  /**
   * Checks the files now (the poll does this every refresh interval). Resolves true when new material was
   * accepted. A change that does not load is logged and leaves the current material in place.
   */
  refresh(): Promise<boolean> {
    this.#checking ??= this.#check().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  /** Stops watching the files; the current material stays usable. */
  close(): void {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  async #check(): Promise<boolean> {
    const stamps = await TlsMaterial.#stampsOf(this.files);
    if (stamps === this.#stamps) return false;
    const loaded = await readTlsFiles(this.files);
    // Remembered either way: a rejected version is reported once, and read again only when the files change again
    // (the rest of a rotation still being written, or an operator's fix).
    this.#stamps = stamps;
    if (!loaded.ok) {
      this.#options.logger.warn(
        { listener: this.#options.name, reason: loaded.error.message, files: this.files },
        'TLS files changed but cannot be used; the current certificate stays in use',
      );
      return false;
    }
    if (samePem(loaded.value.pem, this.#loaded.pem)) return false;
    this.#loaded = loaded.value;
    this.#logLoaded('TLS material reloaded');
    this.#publish();
    return true;
  }

  #logLoaded(message: string): void {
    const { leaf, cas } = this.#loaded;
    this.#options.logger.info(
      {
        listener: this.#options.name,
        subject: leaf.subject,
        subject_alt_name: leaf.subjectAltName,
        issuer: leaf.issuer,
        not_after: new Date(leaf.notAfter).toISOString(),
        fingerprint256: leaf.fingerprint256,
        ...(cas.length > 0 ? { ca_subjects: cas.map((ca) => ca.subject) } : {}),
      },
      message,
    );
    const now = this.#options.clock.now();
    if (leaf.notAfter <= now || leaf.notBefore > now) {
      this.#options.logger.warn(
        {
          listener: this.#options.name,
          not_before: new Date(leaf.notBefore).toISOString(),
          not_after: new Date(leaf.notAfter).toISOString(),
        },
        'the TLS certificate is not valid now; peers will refuse it',
      );
    }
  }

  #publish(): void {
    const identity = this.#identityUpdate();
    const ca = this.#caUpdate();
    for (const listener of this.#identityListeners) listener(identity);
    for (const listener of this.#caListeners) listener(ca);
    for (const listener of this.#changeListeners) {
      try {
        listener(this.#loaded);
      } catch (error) {
        this.#options.logger.warn(
          { err: error, listener: this.#options.name },
          'a TLS change listener failed',
        );
      }
    }
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = this.#options.clock.setTimer(this.#options.refreshIntervalMs, () => {
      this.refresh().then(
        () => this.#schedule(),
        (error: unknown) => {
          this.#options.logger.warn(
            { err: error, listener: this.#options.name },
            'checking the TLS files failed',
          );
          this.#schedule();
        },
      );
    });
  }

  #identityUpdate(): IdentityCertificateUpdate {
    return { certificate: this.#loaded.pem.cert, privateKey: this.#loaded.pem.key };
  }

  #caUpdate(): CaCertificateUpdate | null {
    const ca = this.#loaded.pem.ca;
    return ca === undefined ? null : { caCertificate: ca };
  }

  // The CertificateProvider side. A new listener gets the current material asynchronously, as grpc-js's own
  // providers do: its server credentials register their own watcher only after adding these listeners, and an
  // update delivered before that would never reach the server.

  addIdentityCertificateListener(listener: IdentityCertificateUpdateListener): void {
    this.#identityListeners.add(listener);
    queueMicrotask(() => {
      if (this.#identityListeners.has(listener)) listener(this.#identityUpdate());
    });
  }

  removeIdentityCertificateListener(listener: IdentityCertificateUpdateListener): void {
    this.#identityListeners.delete(listener);
  }

  addCaCertificateListener(listener: CaCertificateUpdateListener): void {
    this.#caListeners.add(listener);
    queueMicrotask(() => {
      if (this.#caListeners.has(listener)) listener(this.#caUpdate());
    });
  }

  removeCaCertificateListener(listener: CaCertificateUpdateListener): void {
    this.#caListeners.delete(listener);
  }
}
