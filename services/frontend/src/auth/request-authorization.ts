import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { status } from '@grpc/grpc-js';
import { bindTaskToken, ServiceError, unbindTaskToken } from '@odin/api';
import type { Clock } from '@odin/hugo';
import {
  isAuthEnabled,
  type Logger,
  type OdinConfig,
  parseTlsSubjectMap,
  SYSTEM_SCOPE,
  type TlsSubjectMap,
} from '@odin/runtime';
import type { NamespaceResolver } from '../namespaces.js';
import { type Decision, authorize, canSeeNamespace } from './authorizer.js';
import { type Claims, claimsFor, mergeClaims } from './claims.js';
import { type CallerCredentials, INTERNAL_CREDENTIALS } from './credentials.js';
import { JwtClaimMapper } from './jwt-claims.js';
import { type Access, accessOf } from './rpc-access.js';
import { methodTokenPaths, replaceTokens, type TokenPath } from './task-token-paths.js';
import { TlsClaimMapper } from './tls-claims.js';

/** What a call may go on with: its request (task tokens unwrapped), and how to shape its answer for the caller. */
export interface AuthorizedCall {
  readonly request: object;
  readonly claims: Claims | undefined;
  /** The response as the caller may see it: task tokens bound to the caller, namespaces it may not see left out. */
  respond(response: object): object;
}

export interface RequestAuthorizationOptions {
  readonly allowUnauthenticatedHealth: boolean;
  readonly jwt?: JwtClaimMapper;
  readonly tls?: TlsClaimMapper;
  /** The HMAC key of bound task tokens. */
  readonly taskTokenKey: Uint8Array;
  readonly namespaces: NamespaceResolver;
}

function permissionDenied(reason: string): ServiceError {
  return new ServiceError(status.PERMISSION_DENIED, `Request unauthorized: ${reason}.`, {
    typeName: 'temporal.api.errordetails.v1.PermissionDeniedFailure',
    value: { reason },
  });
}

const UNAUTHENTICATED = () =>
  new ServiceError(
    status.UNAUTHENTICATED,
    'Request unauthenticated: this call needs a bearer token (authorization: Bearer …) or a client certificate.',
  );

const INTERNAL_CLAIMS = claimsFor('internal:system', [{ namespace: SYSTEM_SCOPE, role: 'admin' }]);

const BY_ID_REFUSAL = (method: string) => `${method} needs a role in the namespace it names`;

function refusal(decision: Exclude<Decision, { allowed: true }>, method: string): ServiceError {
  return decision.unauthenticated ? UNAUTHENTICATED() : permissionDenied(`${method} needs ${decision.needs}`);
}

/** Calls whose requests name further namespaces than their own (commands, operations), with what each needs. */
function nestedNamespaces(method: string, request: object): string[] {
  const namespaces: string[] = [];
  const add = (value: unknown) => {
    if (typeof value === 'string' && value !== '') namespaces.push(value);
  };
  if (method === 'RespondWorkflowTaskCompleted') {
    type Command = Record<string, { namespace?: unknown } | null | undefined>;
    for (const command of ((request as { commands?: Command[] | null }).commands ?? []) as Command[]) {
      add(command.startChildWorkflowExecutionCommandAttributes?.namespace);
      add(command.signalExternalWorkflowExecutionCommandAttributes?.namespace);
      add(command.requestCancelExternalWorkflowExecutionCommandAttributes?.namespace);
    }
  } else if (method === 'ExecuteMultiOperation') {
    type Operation = Record<string, { namespace?: unknown } | null | undefined>;
    for (const operation of ((request as { operations?: Operation[] | null }).operations ??
      []) as Operation[]) {
      add(operation.startWorkflow?.namespace);
      add(operation.updateWorkflow?.namespace);
    }
  }
  return namespaces;
}

/**
 * The frontend's authorization, run by `FrontendService.invoke` before any handler: maps the call's credentials
 * to claims, checks the method's class (rpc-access.ts) against the request's namespace, refuses task tokens handed
 * to another caller, and on the way out binds task tokens to the caller and filters ListNamespaces.
 */
export class RequestAuthorization {
  readonly #options: RequestAuthorizationOptions;
  readonly #tokenPaths = new Map<string, { request: TokenPath[]; response: TokenPath[] }>();

  constructor(options: RequestAuthorizationOptions) {
    this.#options = options;
  }

  /**
   * From the HUGO_ORCHESTRATOR_AUTH_* settings; undefined while authorization is off. Reads the key and subject
   * map files now, so a bad file stops the start-up with a message naming it.
   */
  static fromConfig(
    config: OdinConfig,
    deps: { clock: Clock; logger: Logger; namespaces: NamespaceResolver },
  ): RequestAuthorization | undefined {
    if (!isAuthEnabled(config)) return undefined;
    const jwt =
      config.authJwksUrl !== undefined || config.authKeyFile !== undefined
        ? new JwtClaimMapper({
            ...(config.authJwksUrl === undefined ? {} : { jwksUrl: config.authJwksUrl }),
            ...(config.authKeyFile === undefined
              ? {}
              : { keyText: readSetting(config.authKeyFile, 'HUGO_ORCHESTRATOR_AUTH_KEY_FILE') }),
            jwksCacheMaxAgeMs: config.authJwksCacheMaxAgeMs,
            ...(config.authIssuer === undefined ? {} : { issuer: config.authIssuer }),
            ...(config.authAudience === undefined ? {} : { audience: config.authAudience }),
            permissionsClaim: config.authPermissionsClaim,
            now: () => deps.clock.now(),
          })
        : undefined;
    const subjectMap = tlsSubjectMap(config);
    const tls = subjectMap ? new TlsClaimMapper(subjectMap) : undefined;
    let taskTokenKey: Uint8Array;
    if (config.authTaskTokenKey !== undefined) {
      taskTokenKey = Buffer.from(config.authTaskTokenKey, 'utf8');
    } else {
      // Key material must be unpredictable, so it comes from the OS, not from the injectable (seedable) source.
      taskTokenKey = randomBytes(32);
      deps.logger.warn(
        'HUGO_ORCHESTRATOR_AUTH_TASK_TOKEN_KEY is not set: task tokens are signed with a key of this process, so ' +
          'another frontend, or this one after a restart, refuses them; set the same key on every frontend',
      );
    }
    deps.logger.info(
      {
        jwks_url: config.authJwksUrl,
        key_file: config.authKeyFile,
        issuer: config.authIssuer,
        audience: config.authAudience,
        tls_subjects: subjectMap ? Object.keys(subjectMap).length : 0,
        unauthenticated_health: config.authAllowUnauthenticatedHealth,
      },
      'authorization on',
    );
    return new RequestAuthorization({
      allowUnauthenticatedHealth: config.authAllowUnauthenticatedHealth ?? true,
      ...(jwt ? { jwt } : {}),
      ...(tls ? { tls } : {}),
      taskTokenKey,
      namespaces: deps.namespaces,
    });
  }

  /** The caller's claims: undefined without credentials; UNAUTHENTICATED for credentials that do not verify. */
  async claimsOf(credentials: CallerCredentials | undefined): Promise<Claims | undefined> {
    if (credentials === INTERNAL_CREDENTIALS) return INTERNAL_CLAIMS;
    let claims: Claims | undefined;
    if (credentials?.bearerToken !== undefined) {
      // A token the server has no way to verify is refused, never ignored: ignoring it could downgrade the caller
      // to the roles of its certificate without telling it.
      if (!this.#options.jwt) {
        throw new ServiceError(
          status.UNAUTHENTICATED,
          'Request unauthenticated: this server does not accept bearer tokens (no JWKS URL or key file is configured).',
        );
      }
      claims = await this.#options.jwt.claims(credentials.bearerToken);
    }
    if (credentials?.tlsPeer !== undefined && this.#options.tls) {
      const fromCertificate = this.#options.tls.claims(credentials.tlsPeer);
      claims = claims ? mergeClaims(claims, fromCertificate) : fromCertificate;
    }
    return claims;
  }

  async authorize(
    service: string,
    method: string,
    request: object,
    credentials: CallerCredentials | undefined,
  ): Promise<AuthorizedCall> {
    const claims = await this.claimsOf(credentials);
    const access = accessOf(service, method);
    if (access === undefined) {
      // Not a method of the served services: only a system admin gets as far as its UNIMPLEMENTED.
      const decision = authorize(claims, 'system', '', this.#options);
      if (!decision.allowed) throw refusal(decision, method);
      return { request, claims, respond: (response) => response };
    }
    const target = await this.#targetNamespace(method, access, request, claims);
    const namespace = target.name;
    const decision = authorize(claims, access, namespace, this.#options);
    if (!decision.allowed) {
      // Named by id, the namespace's name is exactly what the caller may not learn.
      if (target.byId && !decision.unauthenticated) throw permissionDenied(BY_ID_REFUSAL(method));
      throw refusal(decision, method);
    }
    for (const other of nestedNamespaces(method, request)) {
      if (other === namespace) continue;
      const nested = authorize(claims, 'write', other, this.#options);
      if (!nested.allowed) throw refusal(nested, `${method} (a command or operation on another namespace)`);
    }
    const paths = this.#paths(service, method);
    let unwrapped: unknown = request;
    for (const path of paths.request) {
      unwrapped = replaceTokens(unwrapped, path, (token) => this.#openToken(token, claims));
    }
    return {
      request: unwrapped as object,
      claims,
      respond: (response) => this.#respond(method, access, response, claims, paths.response),
    };
  }

  /**
   * The namespace a call is checked against: the request's `namespace`, except that DescribeNamespace may name it
   * by id. An id of no namespace is refused like one the caller has no role on (unless the caller could list every
   * namespace anyway), so ids cannot be probed.
   */
  async #targetNamespace(
    method: string,
    access: Access,
    request: object,
    claims: Claims | undefined,
  ): Promise<{ name: string; byId: boolean }> {
    const r = request as { namespace?: unknown; id?: unknown };
    if (method === 'DescribeNamespace' && typeof r.id === 'string' && r.id !== '' && claims) {
      try {
        return { name: (await this.#options.namespaces.recordById(r.id)).name, byId: true };
      } catch (error) {
        if (!(error instanceof ServiceError && error.code === status.NOT_FOUND)) throw error;
        if (claims.system === 0) throw permissionDenied(BY_ID_REFUSAL(method));
        return { name: '', byId: true };
      }
    }
    const scoped = access === 'read' || access === 'worker' || access === 'write' || access === 'admin';
    return { name: scoped && typeof r.namespace === 'string' ? r.namespace : '', byId: false };
  }

  #paths(service: string, method: string) {
    const key = `${service}/${method}`;
    let paths = this.#tokenPaths.get(key);
    if (!paths) {
      paths = methodTokenPaths(service, method);
      this.#tokenPaths.set(key, paths);
    }
    return paths;
  }

  /** A token the caller presents: only the caller it was handed to may use it. */
  #openToken(token: Uint8Array, claims: Claims | undefined): Uint8Array {
    const opened = unbindTaskToken(token, this.#options.taskTokenKey);
    if (opened.kind === 'forged') {
      throw permissionDenied(
        'the task token was not signed by this cluster (every frontend needs the same ' +
          'HUGO_ORCHESTRATOR_AUTH_TASK_TOKEN_KEY) or was altered',
      );
    }
    if (opened.kind === 'unbound') {
      throw permissionDenied(
        'the task token is not bound to a caller (it was issued while authorization was off)',
      );
    }
    if (opened.bound.subject !== claims?.subject) {
      throw permissionDenied(
        'the task token was handed to another caller; only the poller that received it may answer it',
      );
    }
    return opened.bound.token;
  }

  #respond(
    method: string,
    access: Access,
    response: object,
    claims: Claims | undefined,
    tokenPaths: readonly TokenPath[],
  ): object {
    let shaped: unknown = response;
    if (claims) {
      const key = this.#options.taskTokenKey;
      for (const path of tokenPaths) {
        shaped = replaceTokens(shaped, path, (token) => bindTaskToken(token, claims.subject, key));
      }
    }
    if (access === 'namespace-list' && method === 'ListNamespaces' && claims && claims.system === 0) {
      const page = shaped as { namespaces?: { namespaceInfo?: { name?: string | null } | null }[] | null };
      shaped = {
        ...page,
        namespaces: (page.namespaces ?? []).filter((n) =>
          canSeeNamespace(claims, n.namespaceInfo?.name ?? ''),
        ),
      };
    }
    return shaped as object;
  }
}

function readSetting(path: string, variable: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${variable}=${path}: ${(error as Error).message}`);
  }
}

function tlsSubjectMap(config: OdinConfig): TlsSubjectMap | undefined {
  if (config.authTlsSubjectMap !== undefined) return config.authTlsSubjectMap;
  if (config.authTlsSubjectMapFile === undefined) return undefined;
  const variable = 'HUGO_ORCHESTRATOR_AUTH_TLS_SUBJECT_MAP_FILE';
  const parsed = parseTlsSubjectMap(readSetting(config.authTlsSubjectMapFile, variable));
  if (!parsed.ok) throw new Error(`${variable}=${config.authTlsSubjectMapFile}: ${parsed.problem}`);
  return parsed.value;
}
