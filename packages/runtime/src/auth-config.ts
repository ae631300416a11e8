import { z } from 'zod';

// Authorization settings of the frontend (docs/security.md, "Authorization"). Off unless a credential source is
// configured (a JWKS URL, a key file or a client-certificate subject map) or AUTH_ENABLED says so.

/** The permission scope that grants a role on every namespace and, as admin, the cluster-wide calls (Temporal's). */
export const SYSTEM_SCOPE = 'temporal-system';

/** Per-namespace roles. Temporal's permission spellings (read, write) are accepted next to the role names. */
export const AUTH_ROLES = ['reader', 'writer', 'worker', 'admin'] as const;
export type AuthRole = (typeof AUTH_ROLES)[number];

const ROLE_SPELLINGS: Readonly<Record<string, AuthRole>> = {
  read: 'reader',
  reader: 'reader',
  write: 'writer',
  writer: 'writer',
  worker: 'worker',
  admin: 'admin',
};

export interface Permission {
  /** A namespace name, or SYSTEM_SCOPE. */
  readonly namespace: string;
  readonly role: AuthRole;
}

/**
 * `<namespace>:<role>` (the last colon separates; Odin's namespace names never hold one). Undefined for anything
 * else. Exact, as Temporal reads it (the role's case aside): nothing is trimmed, so a permission only ever names
 * the namespace it spells.
 */
export function parsePermission(text: string): Permission | undefined {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const role = ROLE_SPELLINGS[text.slice(colon + 1).toLowerCase()];
  const namespace = text.slice(0, colon);
  return role ? { namespace, role } : undefined;
}

/** Certificate subject CN, full subject or SAN → permissions, e.g. `{"worker-a":["orders:worker"]}`. */
export type TlsSubjectMap = Readonly<Record<string, readonly string[]>>;

const tlsSubjectMapSchema = z.record(
  z.string().min(1, 'a subject or SAN must not be empty'),
  z.array(
    z.string().refine((p) => parsePermission(p) !== undefined, {
      message: `must be "<namespace>:<role>" with role one of ${AUTH_ROLES.join(', ')}`,
    }),
  ),
);

/** Parses a subject map (the JSON of AUTH_TLS_SUBJECT_MAP or of the file AUTH_TLS_SUBJECT_MAP_FILE names). */
export function parseTlsSubjectMap(
  text: string,
): { ok: true; value: TlsSubjectMap } | { ok: false; problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'must be a JSON object of subject → ["<namespace>:<role>", …]' };
  }
  const parsed = tlsSubjectMapSchema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, problem: `${issue?.path.join('.') || 'value'}: ${issue?.message ?? 'invalid'}` };
}

const bool = (fallback?: 'true' | 'false') => {
  const base = z.enum(['true', 'false', '1', '0'], { error: 'must be true or false' });
  return (fallback === undefined ? base.optional() : base.default(fallback)).transform((v) =>
    v === undefined ? undefined : v === 'true' || v === '1',
  );
};

export const authShape = {
  /** AUTH_ENABLED: the switch; unset = on exactly when a JWKS URL, key file or subject map is configured. */
  authEnabled: bool(),
  /** AUTH_JWKS_URL: where the bearer tokens' signing keys are published (fetched, cached, refreshed). */
  authJwksUrl: z.url('must be a URL such as https://issuer.example/.well-known/jwks.json').optional(),
  /** AUTH_JWKS_CACHE_MAX_AGE_MS: how long fetched JWKS keys are used before they are fetched again. */
  authJwksCacheMaxAgeMs: z.coerce
    .number()
    .int('must be a whole number of milliseconds')
    .min(1000, 'must be at least 1000 ms')
    .default(600_000),
  /** AUTH_KEY_FILE: a PEM public key or certificate, a JWK or a JWKS file that verifies bearer tokens. */
  authKeyFile: z.string().min(1, 'must not be empty').optional(),
  /** AUTH_ISSUER: the `iss` every token must carry; unset = not checked. */
  authIssuer: z.string().min(1, 'must not be empty').optional(),
  /** AUTH_AUDIENCE: comma-separated; a token's `aud` must hold one of them; unset = not checked. */
  authAudience: z
    .string()
    .optional()
    .transform((text) =>
      text
        ?.split(',')
        .map((a) => a.trim())
        .filter((a) => a !== ''),
    ),
  /** AUTH_PERMISSIONS_CLAIM: the token claim holding `["<namespace>:<role>", …]` (Temporal's `permissions`). */
  authPermissionsClaim: z.string().min(1, 'must not be empty').default('permissions'),
  /** AUTH_TLS_SUBJECT_MAP: JSON mapping a client certificate's CN, subject or SAN to permissions. */
  authTlsSubjectMap: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined) return undefined;
      const parsed = parseTlsSubjectMap(text);
      if (parsed.ok) return parsed.value;
      ctx.addIssue({ code: 'custom', message: parsed.problem });
      return z.NEVER;
    }),
  /** AUTH_TLS_SUBJECT_MAP_FILE: the same mapping read from a JSON file at start. */
  authTlsSubjectMapFile: z.string().min(1, 'must not be empty').optional(),
  /** AUTH_ALLOW_UNAUTHENTICATED_HEALTH: GetSystemInfo and gRPC health answer callers without credentials (Temporal does). */
  authAllowUnauthenticatedHealth: bool('true'),
  /**
   * AUTH_TASK_TOKEN_KEY: the secret that signs task tokens bound to a worker identity. Every frontend of a cluster
   * needs the same one; unset = a random key per process (tokens then die with the process).
   */
  authTaskTokenKey: z.string().min(32, 'must be at least 32 characters').optional(),
};

/** Variable suffix (after HUGO_ORCHESTRATOR_) of each auth field. */
export const AUTH_ENV_SUFFIX: Readonly<Record<keyof typeof authShape, string>> = {
  authEnabled: 'AUTH_ENABLED',
  authJwksUrl: 'AUTH_JWKS_URL',
  authJwksCacheMaxAgeMs: 'AUTH_JWKS_CACHE_MAX_AGE_MS',
  authKeyFile: 'AUTH_KEY_FILE',
  authIssuer: 'AUTH_ISSUER',
  authAudience: 'AUTH_AUDIENCE',
  authPermissionsClaim: 'AUTH_PERMISSIONS_CLAIM',
  authTlsSubjectMap: 'AUTH_TLS_SUBJECT_MAP',
  authTlsSubjectMapFile: 'AUTH_TLS_SUBJECT_MAP_FILE',
  authAllowUnauthenticatedHealth: 'AUTH_ALLOW_UNAUTHENTICATED_HEALTH',
  authTaskTokenKey: 'AUTH_TASK_TOKEN_KEY',
};

const authSchema = z.object(authShape);
export type AuthConfig = z.infer<typeof authSchema>;

/** True when some source of credentials is configured. */
export function hasAuthSource(config: AuthConfig): boolean {
  return (
    config.authJwksUrl !== undefined ||
    config.authKeyFile !== undefined ||
    config.authTlsSubjectMap !== undefined ||
    config.authTlsSubjectMapFile !== undefined
  );
}

/** Whether the frontend authorizes calls: the switch when set, else whether a credential source is configured. */
export function isAuthEnabled(config: AuthConfig): boolean {
  return config.authEnabled ?? hasAuthSource(config);
}

/** Settings that contradict each other; checked with the rest of the configuration. */
export function authProblems(config: AuthConfig): { field: keyof AuthConfig; message: string }[] {
  const problems: { field: keyof AuthConfig; message: string }[] = [];
  if (config.authEnabled === true && !hasAuthSource(config)) {
    problems.push({
      field: 'authEnabled',
      message:
        'needs a credential source: HUGO_ORCHESTRATOR_AUTH_JWKS_URL, HUGO_ORCHESTRATOR_AUTH_KEY_FILE or a TLS subject map',
    });
  }
  if (config.authJwksUrl !== undefined && config.authKeyFile !== undefined) {
    problems.push({ field: 'authKeyFile', message: 'set either a JWKS URL or a key file, not both' });
  }
  if (config.authTlsSubjectMap !== undefined && config.authTlsSubjectMapFile !== undefined) {
    problems.push({
      field: 'authTlsSubjectMapFile',
      message: 'set either HUGO_ORCHESTRATOR_AUTH_TLS_SUBJECT_MAP or the file, not both',
    });
  }
  return problems;
}
