import type { CallerCredentials } from '../../src/auth/credentials.js';
import { mintToken, testKeys } from './fixtures.js';

/**
 * The callers of the authorization tests. `roles` is what each holds, written as the test's own expectation (not
 * read from the code under test): namespace → role names, `system` for temporal-system roles.
 */
export interface Identity {
  readonly name: string;
  readonly credentials: CallerCredentials | undefined;
  /** Credentials that must be refused whatever the call: UNAUTHENTICATED. */
  readonly invalid?: true;
  readonly roles: Readonly<Record<string, readonly ('reader' | 'writer' | 'worker' | 'admin')[]>>;
}

export async function identities(): Promise<Identity[]> {
  const { trusted, other } = await testKeys();
  const token = async (
    permissions: string[],
    sub: string,
    options: { nowS?: number; key?: typeof other } = {},
  ) => ({
    bearerToken: await mintToken(options.key ?? trusted, permissions, {
      sub,
      ...(options.nowS === undefined ? {} : { nowS: options.nowS }),
    }),
  });
  return [
    { name: 'none', credentials: undefined, roles: {} },
    {
      name: 'reader of ns-a',
      credentials: await token(['ns-a:read'], 'reader-a'),
      roles: { 'ns-a': ['reader'] },
    },
    {
      name: 'writer of ns-a',
      credentials: await token(['ns-a:write'], 'writer-a'),
      roles: { 'ns-a': ['writer'] },
    },
    {
      name: 'worker of ns-a',
      credentials: await token(['ns-a:worker'], 'worker-a'),
      roles: { 'ns-a': ['worker'] },
    },
    {
      name: 'admin of ns-a',
      credentials: await token(['ns-a:admin'], 'admin-a'),
      roles: { 'ns-a': ['admin'] },
    },
    {
      name: 'system admin',
      credentials: await token(['temporal-system:admin'], 'root'),
      roles: { system: ['admin'] },
    },
    {
      name: 'system reader',
      credentials: await token(['temporal-system:read'], 'auditor'),
      roles: { system: ['reader'] },
    },
    {
      name: 'expired system admin',
      credentials: await token(['temporal-system:admin'], 'root', { nowS: 1_000_000 }),
      invalid: true,
      roles: {},
    },
    {
      name: 'system admin signed by another key',
      credentials: await token(['temporal-system:admin'], 'root', { key: other }),
      invalid: true,
      roles: {},
    },
    {
      name: 'admin of ns-b',
      credentials: await token(['ns-b:admin'], 'admin-b'),
      roles: { 'ns-b': ['admin'] },
    },
    {
      name: 'certificate of a worker of ns-a',
      credentials: { tlsPeer: { subject: 'CN=worker-a.example,O=Example', sans: [] } },
      roles: { 'ns-a': ['worker'] },
    },
    {
      name: 'certificate of a reader of ns-b',
      credentials: { tlsPeer: { subject: 'CN=svc', sans: ['URI:spiffe://example/reader-b'] } },
      roles: { 'ns-b': ['reader'] },
    },
  ];
}

type Verdict = 'allowed' | 'unauthenticated' | 'denied';

/** What the model says of a call of class `access` on `namespace` by `identity` (docs/security.md). */
export function expectedVerdict(identity: Identity, access: string, namespace: string): Verdict {
  if (identity.invalid) return 'unauthenticated';
  if (access === 'health') return 'allowed';
  if (identity.credentials === undefined) return 'unauthenticated';
  const system = identity.roles.system ?? [];
  const held = [...system, ...(identity.roles[namespace] ?? [])];
  const any = (...roles: string[]) => held.some((r) => roles.includes(r));
  switch (access) {
    case 'namespace-list':
      return 'allowed';
    case 'system-read':
      return system.length > 0 ? 'allowed' : 'denied';
    case 'system':
      return system.includes('admin') ? 'allowed' : 'denied';
    case 'read':
      return any('reader', 'worker', 'writer', 'admin') ? 'allowed' : 'denied';
    case 'worker':
      return any('worker', 'writer', 'admin') ? 'allowed' : 'denied';
    case 'write':
      return any('writer', 'admin') ? 'allowed' : 'denied';
    case 'admin':
      return any('admin') ? 'allowed' : 'denied';
    default:
      throw new Error(`unknown access class ${access}`);
  }
}
