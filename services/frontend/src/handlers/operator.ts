import { ServiceError } from '@odin/api';
import {
  CUSTOM_SEARCH_ATTRIBUTE_LIMITS,
  INDEXED_VALUE_TYPES,
  isReservedSearchAttributeName,
  SEARCH_ATTRIBUTE_NAME,
  type SearchAttributeDefinition,
  type SearchAttributeType,
  searchAttributeTypeOf,
} from '@odin/persistence';
import type { FrontendDeps, HandlerMap } from '../handler-types.js';
import * as v from '../validate.js';
import { deleteNamespace } from './namespace.js';
import { BUILT_IN_SEARCH_ATTRIBUTES } from './visibility.js';

// OperatorService's search-attribute calls, as Temporal answers them on SQL visibility: attributes are registered
// per namespace, a name already registered is left as it is (whatever type the new request gives it), and each
// namespace may hold as many attributes of each type as Temporal's SQL schema has columns for.

interface AddSearchAttributesRequest {
  searchAttributes?: { [name: string]: number } | null;
  namespace?: string | null;
}

interface RemoveSearchAttributesRequest {
  searchAttributes?: string[] | null;
  namespace?: string | null;
}

interface ListSearchAttributesRequest {
  namespace?: string | null;
}

const NOT_SET = 'SearchAttributes are not set on request.';

export function operatorHandlers(deps: FrontendDeps): HandlerMap {
  const { ctx, namespaces, searchAttributes } = deps;
  const store = ctx.store.searchAttributes;

  return {
    async DeleteNamespace(req: { namespace?: string | null; namespaceId?: string | null }) {
      return deleteNamespace(deps, req);
    },

    async AddSearchAttributes(req: AddSearchAttributesRequest) {
      const requested = Object.entries(req.searchAttributes ?? {});
      if (requested.length === 0) throw ServiceError.invalidArgument(NOT_SET);
      const wanted: SearchAttributeDefinition[] = [];
      for (const [name, indexedType] of requested) {
        if (isReservedSearchAttributeName(name)) {
          throw ServiceError.invalidArgument(`Search attribute ${name} is reserved by system.`);
        }
        if (!SEARCH_ATTRIBUTE_NAME.test(name)) {
          throw ServiceError.invalidArgument(
            `Search attribute name ${JSON.stringify(name)} is not valid: use 1 to 255 letters, digits, '_' or '-', ` +
              'starting with a letter or an underscore.',
          );
        }
        const type = searchAttributeTypeOf(indexedType);
        if (type === undefined)
          throw ServiceError.invalidArgument(`Unknown search attribute type: ${indexedType}.`);
        wanted.push({ name, type });
      }
      const namespace = await namespaces.resolve(v.requireNamespace(req.namespace));
      const current = await searchAttributes.custom(namespace.id, true);
      const counts = new Map<SearchAttributeType, number>();
      for (const type of current.values()) counts.set(type, (counts.get(type) ?? 0) + 1);
      const added: SearchAttributeDefinition[] = [];
      for (const d of wanted) {
        if (current.has(d.name)) continue;
        const n = (counts.get(d.type) ?? 0) + 1;
        if (n > CUSTOM_SEARCH_ATTRIBUTE_LIMITS[d.type]) {
          throw ServiceError.invalidArgument(
            `Unable to create search attributes: cannot have more than ${CUSTOM_SEARCH_ATTRIBUTE_LIMITS[d.type]} ` +
              `search attribute of type ${d.type}.`,
          );
        }
        counts.set(d.type, n);
        added.push(d);
      }
      if (added.length > 0) {
        await store.addSearchAttributes(namespace.id, added, ctx.clock.now());
        searchAttributes.invalidate(namespace.id);
      }
      return {};
    },

    async RemoveSearchAttributes(req: RemoveSearchAttributesRequest) {
      const names = req.searchAttributes ?? [];
      if (names.length === 0) throw ServiceError.invalidArgument(NOT_SET);
      const namespace = await namespaces.resolve(v.requireNamespace(req.namespace));
      const current = await searchAttributes.custom(namespace.id, true);
      const removed: string[] = [];
      for (const name of names) {
        if (current.has(name)) removed.push(name);
        else if (Object.hasOwn(BUILT_IN_SEARCH_ATTRIBUTES, name)) {
          throw ServiceError.invalidArgument(`Unable to remove non-custom search attributes: ${name}.`);
        }
      }
      if (removed.length > 0) {
        await store.removeSearchAttributes(namespace.id, removed);
        searchAttributes.invalidate(namespace.id);
      }
      return {};
    },

    async ListSearchAttributes(req: ListSearchAttributesRequest) {
      const customAttributes: Record<string, number> = {};
      if (req.namespace) {
        const namespace = await namespaces.resolve(v.requireNamespace(req.namespace));
        for (const [name, type] of await searchAttributes.custom(namespace.id, true)) {
          customAttributes[name] = INDEXED_VALUE_TYPES[type];
        }
      }
      return { systemAttributes: { ...BUILT_IN_SEARCH_ATTRIBUTES }, customAttributes, storageSchema: {} };
    },
  };
}
