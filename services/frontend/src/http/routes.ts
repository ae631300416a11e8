import { protoRoot } from '@odin/api';
import type { Method, Service, Type } from 'protobufjs';
import {
  compareSpecificity,
  matchPathTemplate,
  type PathTemplate,
  parsePathTemplate,
} from './path-template.js';

export type HttpVerb = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/** One HTTP binding of one RPC, as its google.api.http annotation (or one of its additional bindings) declares it. */
export interface HttpRoute {
  readonly service: string;
  readonly method: string;
  readonly verb: HttpVerb;
  readonly template: PathTemplate;
  /** `*` (the whole request is the body), a top-level field name, or '' (no body: query parameters). */
  readonly body: string;
  /** A response field to answer with instead of the whole response ('' = the whole response). */
  readonly responseBody: string;
  readonly requestType: Type;
  readonly responseType: Type;
}

/** google.api.HttpRule as protobufjs keeps it in a method's parsedOptions. */
interface HttpRule {
  get?: string;
  post?: string;
  put?: string;
  delete?: string;
  patch?: string;
  custom?: { kind?: string; path?: string };
  body?: string;
  response_body?: string;
  additional_bindings?: HttpRule | HttpRule[];
}

const HTTP_OPTION = '(google.api.http)';
const VERBS = ['get', 'post', 'put', 'delete', 'patch'] as const;

function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Every HttpRule of a method: the annotation itself and its additional bindings (which never nest further). */
function httpRules(method: Method): HttpRule[] {
  const rules: HttpRule[] = [];
  for (const option of method.parsedOptions ?? []) {
    for (const rule of asArray((option as Record<string, HttpRule | HttpRule[]>)[HTTP_OPTION])) {
      rules.push(rule, ...asArray(rule.additional_bindings));
    }
  }
  return rules;
}

function bindingOf(rule: HttpRule): { verb: HttpVerb; path: string } | undefined {
  for (const verb of VERBS) {
    const path = rule[verb];
    if (typeof path === 'string') return { verb: verb.toUpperCase() as HttpVerb, path };
  }
  const kind = rule.custom?.kind?.toUpperCase();
  if (rule.custom?.path && (VERBS as readonly string[]).includes(kind?.toLowerCase() ?? '')) {
    return { verb: kind as HttpVerb, path: rule.custom.path };
  }
  return undefined;
}

/**
 * The HTTP routes of the given services, derived at start-up from the google.api.http annotations in the pinned
 * proto root (no route table is written by hand), most specific template first.
 */
export function deriveHttpRoutes(serviceNames: readonly string[]): HttpRoute[] {
  const routes: HttpRoute[] = [];
  for (const serviceName of serviceNames) {
    const service: Service = protoRoot.lookupService(serviceName);
    for (const method of service.methodsArray) {
      method.resolve();
      const requestType = method.resolvedRequestType;
      const responseType = method.resolvedResponseType;
      if (!requestType || !responseType || method.requestStream || method.responseStream) continue;
      for (const rule of httpRules(method)) {
        const binding = bindingOf(rule);
        if (!binding) continue;
        routes.push({
          service: serviceName,
          method: method.name,
          verb: binding.verb,
          template: parsePathTemplate(binding.path),
          body: rule.body ?? '',
          responseBody: rule.response_body ?? '',
          requestType,
          responseType,
        });
      }
    }
  }
  return routes.sort((a, b) => compareSpecificity(a.template, b.template));
}

export type RouteMatch =
  | { readonly kind: 'found'; readonly route: HttpRoute; readonly params: Map<string, string> }
  | { readonly kind: 'method-not-allowed'; readonly allowed: HttpVerb[] }
  | { readonly kind: 'not-found' };

/** Finds the route for a verb and raw URL path (first match in specificity order). */
export function matchRoute(routes: readonly HttpRoute[], verb: string, rawPath: string): RouteMatch {
  const allowed = new Set<HttpVerb>();
  for (const route of routes) {
    const params = matchPathTemplate(route.template, rawPath);
    if (!params) continue;
    if (route.verb === verb) return { kind: 'found', route, params };
    allowed.add(route.verb);
  }
  return allowed.size > 0 ? { kind: 'method-not-allowed', allowed: [...allowed] } : { kind: 'not-found' };
}
