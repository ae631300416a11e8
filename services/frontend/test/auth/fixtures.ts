import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceError } from '@odin/api';
import { exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import type { CallerCredentials } from '../../src/auth/credentials.js';
import { FrontendService } from '../../src/frontend-service.js';
import { type Call, fakeHistory, fakeMatching, type Fixture, fixture } from '../fakes.js';

export const NS_A = { id: 'ns-a-id', name: 'ns-a' };
export const NS_B = { id: 'ns-b-id', name: 'ns-b' };
export const ISSUER = 'https://issuer.test';
export const AUDIENCE = 'odin';
/** Now on the tests' virtual clock (its default start), in seconds: tokens are judged on the injected clock. */
export const NOW_S = Date.UTC(2026, 0, 1) / 1000;

type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

export interface Keys {
  readonly trusted: Key;
  readonly other: Key;
  /** A file holding the trusted public key (PEM), for HUGO_ORCHESTRATOR_AUTH_KEY_FILE. */
  readonly keyFile: string;
  readonly dir: string;
}

let keys: Promise<Keys> | undefined;

/** One trusted ES256 key pair (its public half in a PEM file) and one the server does not know. */
export function testKeys(): Promise<Keys> {
  keys ??= (async () => {
    const trusted = await generateKeyPair('ES256', { extractable: true });
    const other = await generateKeyPair('ES256', { extractable: true });
    const dir = mkdtempSync(join(tmpdir(), 'odin-auth-'));
    const keyFile = join(dir, 'jwt.pem');
    writeFileSync(keyFile, await exportSPKI(trusted.publicKey));
    return { trusted: trusted.privateKey, other: other.privateKey, keyFile, dir };
  })();
  return keys;
}

/** A signed token: `permissions` claim, subject, issued now, valid an hour unless the payload says otherwise. */
export async function mintToken(
  key: Key,
  permissions: readonly string[],
  options: { sub?: string; payload?: JWTPayload; alg?: string; nowS?: number } = {},
): Promise<string> {
  const now = options.nowS ?? NOW_S;
  const payload: JWTPayload = {
    permissions: [...permissions],
    iss: ISSUER,
    aud: AUDIENCE,
    iat: now,
    exp: now + 3600,
    ...(options.sub === '' ? {} : { sub: options.sub ?? 'someone' }),
    // The payload's own claims win over the defaults above.
    ...options.payload,
  };
  const jwt = new SignJWT(payload).setProtectedHeader({ alg: options.alg ?? 'ES256' });
  return jwt.sign(key);
}

/** The environment that turns authorization on with the test key file (plus a TLS subject map). */
export function authEnv(keyFile: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    HUGO_ORCHESTRATOR_AUTH_KEY_FILE: keyFile,
    HUGO_ORCHESTRATOR_AUTH_ISSUER: ISSUER,
    HUGO_ORCHESTRATOR_AUTH_AUDIENCE: AUDIENCE,
    HUGO_ORCHESTRATOR_AUTH_TLS_SUBJECT_MAP: JSON.stringify({
      'worker-a.example': ['ns-a:worker'],
      'spiffe://example/reader-b': ['ns-b:reader'],
    }),
    HUGO_ORCHESTRATOR_AUTH_TASK_TOKEN_KEY: 'a test key that is long enough to sign task tokens',
    ...extra,
  };
}

export interface AuthSetup extends Fixture {
  readonly frontend: FrontendService;
  readonly historyCalls: Call[];
  readonly matchingCalls: Call[];
}

/** A frontend on fake history and matching, namespaces default, ns-a and ns-b, authorization per `env`. */
export async function authSetup(
  env: Record<string, string>,
  answers: {
    history?: (method: string, req: unknown) => unknown;
    matching?: (method: string, req: unknown) => unknown;
  } = {},
): Promise<AuthSetup> {
  const f = await fixture({ env });
  for (const ns of [NS_A, NS_B]) {
    await f.namespaces.createNamespace({
      ...ns,
      state: 1,
      description: `the ${ns.name} namespace`,
      ownerEmail: '',
      retentionMs: 86_400_000,
      data: null,
      createdAt: 0,
      updatedAt: 0,
    });
  }
  const historyCalls: Call[] = [];
  const matchingCalls: Call[] = [];
  const frontend = new FrontendService(f.ctx, {
    history: fakeHistory(historyCalls, answers.history),
    matching: fakeMatching(matchingCalls, answers.matching),
  });
  return { ...f, frontend, historyCalls, matchingCalls };
}

/** The gRPC status a call ends with (0 = OK). */
export async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 0;
  } catch (error) {
    if (error instanceof ServiceError) return error.code;
    throw error;
  }
}

export function bearer(token: string): CallerCredentials {
  return { bearerToken: token };
}
