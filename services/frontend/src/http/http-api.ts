import type { IncomingMessage, ServerResponse } from 'node:http';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { echo, ServiceError } from '@odin/api';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from '@odin/hugo';
import type { Logger } from '@odin/runtime';
import cors from 'cors';
import type { FrontendService } from '../frontend-service.js';
import { OPERATOR_SERVICE, WORKFLOW_SERVICE } from '../grpc-service.js';
import { httpStatusFromGrpcCode, plainStatusBody, statusBody } from './http-errors.js';
import { type JsonOptions, requestFromJson, responseToJson } from './json-codec.js';
import { OpenApiDocumentMissingError, readOpenApiDocument } from './openapi.js';
import type { Json, JsonObject } from './payload-shorthand.js';
import { bindQueryParameters, FieldPathError, setFieldPath } from './request-fields.js';
import { deriveHttpRoutes, type HttpRoute, matchRoute } from './routes.js';
import { peerOfRequest } from '../http-tls.js';
import { credentialsFromHttpHeaders } from '../auth/credentials.js';

/** Temporal's HTTP API limit: gRPC's default 4 MiB receive limit (the server's MaxHTTPAPIRequestBytes). */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface HttpApiOptions {
  /** Origins allowed to call the API from a browser on another origin (`*` = any). Empty or unset: CORS off. */
  readonly corsOrigins?: readonly string[];
  /** Largest request body accepted; a larger one is answered 413 without being read whole. */
  readonly maxBodyBytes?: number;
  readonly logger?: Logger;
}

/** Services whose annotated methods are served over HTTP. */
export const HTTP_SERVICES = [WORKFLOW_SERVICE, OPERATOR_SERVICE] as const;

class HttpFailure extends Error {
  constructor(
    readonly httpStatus: number,
    readonly grpcCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** grpc-gateway's `Grpc-Timeout` header (`10S`, `500m`, …) as an absolute deadline in epoch ms. */
function deadlineFromHeader(value: string | string[] | undefined, now: number): number | undefined {
  const match = typeof value === 'string' ? /^(\d{1,8})([HMSmun])$/.exec(value) : null;
  if (!match) return undefined;
  const unitMs = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 }[match[2] as 'H'];
  return now + Number(match[1]) * unitMs;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Temporal's HTTP API (the grpc-gateway facade of the WorkflowService and OperatorService) over one
 * FrontendService: every call goes through `FrontendService.invoke`, so it is validated, authorized, logged and
 * counted exactly like the same call over gRPC.
 */
export class HttpApi {
  readonly routes: readonly HttpRoute[];
  readonly #frontend: FrontendService;
  readonly #maxBodyBytes: number;
  readonly #log: Logger | undefined;
  readonly #cors: ReturnType<typeof cors> | undefined;
  readonly #implemented: ReadonlySet<string>;
  #openApi: Promise<string> | undefined;

  constructor(frontend: FrontendService, options: HttpApiOptions = {}) {
    this.#frontend = frontend;
    this.routes = deriveHttpRoutes(HTTP_SERVICES);
    this.#maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.#log = options.logger;
    const origins = options.corsOrigins ?? [];
    this.#cors =
      origins.length === 0
        ? undefined
        : cors({
            origin: origins.includes('*') ? '*' : [...origins],
            methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
            maxAge: 600,
          });
    this.#implemented = new Set(HTTP_SERVICES.flatMap((service) => frontend.implemented(service)));
  }

  /** The routes whose RPC this server implements (the rest answer UNIMPLEMENTED, as over gRPC). */
  implementedRoutes(): HttpRoute[] {
    return this.routes.filter((route) => this.#implemented.has(route.method));
  }

  /** Answers one request; never rejects (every failure becomes a google.rpc.Status body). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (this.#cors && !(await this.#applyCors(req, res))) return;
      await this.#route(req, res);
    } catch (error) {
      this.#fail(res, error);
    }
  }

  /** Runs the CORS middleware; false when it answered the request itself (a preflight). */
  #applyCors(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const middleware = this.#cors!;
    return new Promise((resolve, reject) => {
      res.once('finish', () => resolve(false));
      middleware(req, res, (error?: unknown) => (error ? reject(error) : resolve(true)));
    });
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const rawPath = (req.url ?? '/').split('?')[0]!;
    const verb = req.method ?? 'GET';
    if (rawPath === '/openapi.yaml' && (verb === 'GET' || verb === 'HEAD')) {
      this.#openApi ??= readOpenApiDocument();
      const text = await this.#openApi.catch((error: unknown) => {
        this.#openApi = undefined;
        if (error instanceof OpenApiDocumentMissingError) {
          throw new HttpFailure(500, GrpcStatus.INTERNAL, error.message);
        }
        throw error;
      });
      res.writeHead(200, { 'content-type': 'application/yaml; charset=utf-8' });
      res.end(verb === 'HEAD' ? undefined : text);
      return;
    }
    const match = matchRoute(this.routes, verb, rawPath);
    if (match.kind === 'not-found') {
      throw new HttpFailure(
        404,
        GrpcStatus.NOT_FOUND,
        `No HTTP API route for ${echo(verb)} ${echo(url.pathname)}.`,
      );
    }
    if (match.kind === 'method-not-allowed') {
      res.setHeader('allow', match.allowed.join(', '));
      throw new HttpFailure(
        405,
        GrpcStatus.UNIMPLEMENTED,
        `${echo(verb)} is not allowed on ${echo(url.pathname)}; use ${match.allowed.join(' or ')}.`,
      );
    }
    const { route, params } = match;
    const options: JsonOptions = { payloadShorthand: !url.searchParams.has('noPayloadShorthand') };
    const body = route.body === '' ? undefined : await this.#readJsonBody(req, res);
    if (body === 'answered') return;
    const request = this.#buildRequest(route, params, url.searchParams, body, options);

    const controller = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) controller.abort(ServiceError.canceled('The client closed the connection.'));
    });
    const deadline = deadlineFromHeader(req.headers['grpc-timeout'], Date.now());
    const correlationId = header(req, 'x-correlation-id');
    const peer = peerOfRequest(req);
    const response = await this.#frontend.invoke(route.service, route.method, request, {
      signal: controller.signal,
      ...(deadline === undefined ? {} : { deadline }),
      ...(correlationId === undefined ? {} : { correlationId }),
      ...(peer === undefined ? {} : { peer }),
      credentials: credentialsFromHttpHeaders(req.headers),
    });
    let json = responseToJson(route.responseType, response, options);
    if (route.responseBody !== '' && json && typeof json === 'object' && !Array.isArray(json)) {
      const field = route.responseType.fields[route.responseBody] ?? route.responseType.fieldsArray[0];
      json = json[field?.jsonName ?? route.responseBody] ?? null;
    }
    this.#send(res, 200, json, url.searchParams.has('pretty'));
  }

  /** The request message: body, then query parameters (body-less calls), then path variables, which win. */
  #buildRequest(
    route: HttpRoute,
    params: Map<string, string>,
    query: URLSearchParams,
    body: Json | undefined,
    options: JsonOptions,
  ): object {
    const type = route.requestType;
    let json: JsonObject = {};
    if (route.body === '*') {
      if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
        throw ServiceError.invalidArgument(
          `The request body must be a JSON object (${route.requestType.name}).`,
        );
      }
      json = (body as JsonObject | undefined) ?? {};
    } else {
      bindQueryParameters(type, json, query);
      if (route.body !== '' && body !== undefined) {
        const field = type.fields[route.body] ?? type.fieldsArray.find((f) => f.protoName === route.body);
        if (field) json[field.name] = body;
      }
    }
    try {
      for (const [fieldPath, value] of params) setFieldPath(type, json, fieldPath, value, false);
      return requestFromJson(type, json, options);
    } catch (error) {
      if (error instanceof ServiceError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw ServiceError.invalidArgument(
        error instanceof FieldPathError ? reason : `Invalid ${type.name} JSON: ${reason}`,
      );
    }
  }

  /**
   * The request body parsed as JSON, read while it stays under the limit. A body over the limit (by its
   * Content-Length, or once it grows past it) is answered 413 at once and the rest is discarded unread.
   */
  async #readJsonBody(req: IncomingMessage, res: ServerResponse): Promise<Json | undefined | 'answered'> {
    const limit = this.#maxBodyBytes;
    const tooLarge = () => {
      res.setHeader('connection', 'close');
      this.#send(
        res,
        413,
        plainStatusBody(
          GrpcStatus.RESOURCE_EXHAUSTED,
          `The request body is larger than the limit of ${limit} bytes.`,
        ),
        false,
      );
      req.resume();
      return 'answered' as const;
    };
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return tooLarge();
    const text = await new Promise<string | undefined>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          req.off('data', onData);
          req.off('end', onEnd);
          resolve(undefined);
          return;
        }
        chunks.push(chunk);
      };
      const onEnd = () => resolve(Buffer.concat(chunks).toString('utf8'));
      req.on('data', onData);
      req.once('end', onEnd);
      req.once('error', reject);
    });
    if (text === undefined) return tooLarge();
    if (text.trim() === '') return undefined;
    if (jsonNestsDeeperThan(text)) {
      throw new HttpFailure(
        400,
        GrpcStatus.INVALID_ARGUMENT,
        `The request body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels.`,
      );
    }
    try {
      return JSON.parse(text) as Json;
    } catch (error) {
      throw new HttpFailure(
        400,
        GrpcStatus.INVALID_ARGUMENT,
        `The request body is not valid JSON: ${echo(error instanceof Error ? error.message : String(error))}`,
      );
    }
  }

  #fail(res: ServerResponse, error: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof HttpFailure) {
      this.#send(res, error.httpStatus, plainStatusBody(error.grpcCode, error.message), false);
    } else if (error instanceof ServiceError) {
      this.#send(res, httpStatusFromGrpcCode(error.code), statusBody(error), false);
    } else {
      this.#log?.error({ err: error }, 'HTTP API request failed with an unexpected error');
      this.#send(res, 500, plainStatusBody(GrpcStatus.INTERNAL, 'Internal server error.'), false);
    }
  }

  #send(res: ServerResponse, status: number, json: Json, pretty: boolean): void {
    const text = pretty ? JSON.stringify(json, null, 2) : JSON.stringify(json);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(text);
  }
}
