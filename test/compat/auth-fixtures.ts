// Keys, tokens and a dev server with authorization on, for the authorization scenarios.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer } from '@odin/server';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';

export const ISSUER = 'https://issuer.compat';
export const AUDIENCE = 'odin-compat';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

export interface AuthServer {
  readonly address: string;
  /** A bearer token (without the `Bearer ` prefix) for `sub` holding `permissions`, signed by the trusted key. */
  token(
    sub: string,
    permissions: readonly string[],
    options?: { expiresInS?: number; untrusted?: boolean },
  ): Promise<string>;
  stop(): Promise<void>;
}

/** A dev server (in-memory SQLite, namespaces ns-a and ns-b) whose frontend verifies tokens with a fresh key pair. */
export async function startAuthServer(): Promise<AuthServer> {
  const trusted = await generateKeyPair('ES256');
  const untrusted = await generateKeyPair('ES256');
  const dir = mkdtempSync(join(tmpdir(), 'odin-compat-auth-'));
  const keyFile = join(dir, 'jwt.pem');
  writeFileSync(keyFile, await exportSPKI(trusted.publicKey));
  const server = await startDevServer({
    port: 0,
    namespaces: ['ns-a', 'ns-b'],
    env: {
      HUGO_ORCHESTRATOR_AUTH_KEY_FILE: keyFile,
      HUGO_ORCHESTRATOR_AUTH_ISSUER: ISSUER,
      HUGO_ORCHESTRATOR_AUTH_AUDIENCE: AUDIENCE,
      HUGO_ORCHESTRATOR_AUTH_TASK_TOKEN_KEY: 'compat-suite task-token key, 32+ characters',
    },
    logLevel: 'error',
  });
  return {
    address: server.address,
    async token(sub, permissions, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const key: PrivateKey = options.untrusted ? untrusted.privateKey : trusted.privateKey;
      return new SignJWT({ permissions: [...permissions] })
        .setProtectedHeader({ alg: 'ES256' })
        .setSubject(sub)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(now)
        .setExpirationTime(now + (options.expiresInS ?? 3600))
        .sign(key);
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The gRPC status code somewhere in an error's cause chain (the SDKs wrap the call's error). */
export function grpcCode(error: unknown): number | undefined {
  for (let e: unknown = error; e !== null && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}
