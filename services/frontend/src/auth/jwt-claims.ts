import { createPublicKey } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { ServiceError } from '@odin/api';
import { type Permission, parsePermission } from '@odin/runtime';
import type { JSONWebKeySet, JWK, JWTPayload, JWTVerifyGetKey, KeyObject } from 'jose';
import { type Claims, claimsFor } from './claims.js';

/**
 * Signature algorithms a bearer token may use: the asymmetric ones only. A shared HMAC secret would let anything
 * that reads the server's configuration mint tokens, and accepting HMAC next to RSA invites key-confusion attacks.
 */
export const TOKEN_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

export interface JwtSettings {
  /** Where the signing keys are published; fetched on first use, cached `jwksCacheMaxAgeMs`, refetched for an unknown key id. */
  readonly jwksUrl?: string;
  readonly jwksCacheMaxAgeMs?: number;
  /** Least time between two fetches of the JWKS for an unknown key id (default 30 s). */
  readonly jwksCooldownMs?: number;
  /** The text of a PEM public key or certificate, a JWK or a JWKS (AUTH_KEY_FILE's content). */
  readonly keyText?: string;
  readonly issuer?: string;
  readonly audience?: readonly string[];
  /** The claim holding `<namespace>:<role>` permissions. */
  readonly permissionsClaim: string;
  /** Epoch ms now: token expiry is judged on the injected clock. */
  readonly now: () => number;
}

function unauthenticated(reason: string): ServiceError {
  return new ServiceError(status.UNAUTHENTICATED, `Request unauthenticated: ${reason}.`);
}

/**
 * `jose`, imported on the first token to verify: a server without JWT auth (start-dev, most tests) never loads it,
 * and one with it checks its key text at start-up without it (below), so a bad key still stops the start.
 */
let joseModule: Promise<typeof import('jose')> | undefined;
const loadJose = () => (joseModule ??= import('jose'));

/** Where a mapper's keys come from; turned into jose's key (or key getter) on the first token. */
export type KeySource =
  | { kind: 'key'; key: KeyObject }
  | { kind: 'jwks'; jwks: JSONWebKeySet }
  | { kind: 'url'; url: URL };

/** A key source from AUTH_KEY_FILE's text. Throws (at start-up) for anything that is not a public key. */
export function keyFromText(text: string): KeySource {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) {
    if (/PRIVATE KEY-----/.test(trimmed)) {
      throw new Error(
        'the key file holds a private key: give the server the public key (or certificate) only',
      );
    }
    // node reads SPKI and PKCS#1 public keys and X.509 certificates alike.
    return { kind: 'key', key: createPublicKey(trimmed) as unknown as KeyObject };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw new Error('the key file is neither PEM nor JSON (a JWK or a JWKS)');
  }
  const keys = (
    typeof parsed === 'object' && parsed !== null && Array.isArray((parsed as JSONWebKeySet).keys)
      ? (parsed as JSONWebKeySet).keys
      : [parsed as JWK]
  ) as JWK[];
  for (const key of keys) {
    if (typeof key !== 'object' || key === null || typeof key.kty !== 'string') {
      throw new Error('the key file holds something that is not a JWK');
    }
    if (key.kty === 'oct')
      throw new Error('the key file holds a symmetric key; Odin verifies asymmetric tokens only');
    if ('d' in key) throw new Error('the key file holds a private JWK: give the server the public key only');
  }
  return { kind: 'jwks', jwks: { keys } };
}

/**
 * Verifies bearer tokens (JWT) with `jose` and maps them to claims: the subject from `sub`, roles from the
 * permissions claim (`["orders:writer", "temporal-system:admin"]`; a space-separated string is read too). Anything
 * wrong with a token is UNAUTHENTICATED with a reason that says what, never whose.
 */
export class JwtClaimMapper {
  readonly #source: KeySource;
  readonly #settings: JwtSettings;
  #key: Promise<KeyObject | JWTVerifyGetKey> | undefined;

  constructor(settings: JwtSettings) {
    this.#settings = settings;
    if (settings.jwksUrl !== undefined) {
      this.#source = { kind: 'url', url: new URL(settings.jwksUrl) };
    } else if (settings.keyText !== undefined) {
      this.#source = keyFromText(settings.keyText);
    } else {
      throw new Error('a JWT claim mapper needs a JWKS URL or a key');
    }
  }

  /** jose's key or key getter, made once on the first token (a remote set fetches its keys on first use anyway). */
  async #keyOf(): Promise<KeyObject | JWTVerifyGetKey> {
    const source = this.#source;
    if (source.kind === 'key') return source.key;
    const jose = await loadJose();
    if (source.kind === 'jwks') return jose.createLocalJWKSet(source.jwks);
    return jose.createRemoteJWKSet(source.url, {
      cacheMaxAge: this.#settings.jwksCacheMaxAgeMs ?? 600_000,
      // An unknown key id refetches at most this often: a rotated key is picked up without a restart, and a
      // flood of made-up key ids cannot make the server hammer the issuer.
      cooldownDuration: this.#settings.jwksCooldownMs ?? 30_000,
      timeoutDuration: 5_000,
    });
  }

  async claims(token: string): Promise<Claims> {
    const payload = await this.#verify(token);
    if (typeof payload.sub !== 'string' || payload.sub === '') {
      throw unauthenticated('the bearer token has no subject ("sub" claim)');
    }
    return claimsFor(`jwt:${payload.sub}`, permissionsOf(payload[this.#settings.permissionsClaim]));
  }

  async #verify(token: string): Promise<JWTPayload> {
    const { issuer, audience, now } = this.#settings;
    const jose = await loadJose();
    try {
      const options = {
        algorithms: [...TOKEN_ALGORITHMS],
        currentDate: new Date(now()),
        ...(issuer === undefined ? {} : { issuer }),
        ...(audience === undefined || audience.length === 0 ? {} : { audience: [...audience] }),
      };
      this.#key ??= this.#keyOf();
      const key = await this.#key;
      const result =
        typeof key === 'function'
          ? await jose.jwtVerify(token, key, options)
          : await jose.jwtVerify(token, key, options);
      return result.payload;
    } catch (error) {
      throw tokenError(error, jose.errors);
    }
  }
}

function permissionsOf(value: unknown): Permission[] {
  const items = typeof value === 'string' ? value.split(/\s+/) : Array.isArray(value) ? value : [];
  const out: Permission[] = [];
  // Like Temporal, a permission that does not parse is skipped rather than failing the whole token.
  for (const item of items) {
    const permission = typeof item === 'string' ? parsePermission(item) : undefined;
    if (permission) out.push(permission);
  }
  return out;
}

function tokenError(error: unknown, errors: typeof import('jose').errors): ServiceError {
  if (error instanceof errors.JWTExpired) return unauthenticated('the bearer token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    return unauthenticated(`the bearer token's "${error.claim}" claim is not accepted (${error.reason})`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) {
    return unauthenticated('the bearer token is not signed by a trusted key');
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return unauthenticated('the bearer token is signed with an algorithm the server does not accept');
  }
  if (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    isFetchFailure(error, errors)
  ) {
    // The caller did nothing wrong: the server could not reach its issuer's keys.
    return ServiceError.unavailable(
      'The keys that verify bearer tokens could not be fetched; retry the call.',
    );
  }
  return unauthenticated('the bearer token is malformed');
}

function isFetchFailure(error: unknown, errors: typeof import('jose').errors): boolean {
  return (
    error instanceof TypeError || (error instanceof errors.JOSEError && error.code === 'ERR_JOSE_GENERIC')
  );
}
