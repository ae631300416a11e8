import { type NamespaceRef, ServiceError } from '@odin/api';
import type { SearchAttributeRegistry } from '@odin/persistence';
import type { temporal as T } from '@temporalio/proto';

/**
 * Checks the search attributes of a start or signal-with-start against the namespace's registry (Temporal's
 * rules and messages: a system attribute cannot be set, an unregistered one is "not defined", a value must fit its
 * type) and replaces them by what the run keeps: each payload with its `type` metadata, nil values dropped.
 * True when it replaced them (the request is no longer what the client sent).
 */
export async function checkStartSearchAttributes(
  registry: SearchAttributeRegistry,
  namespace: NamespaceRef,
  req: { searchAttributes?: T.api.common.v1.ISearchAttributes | null },
): Promise<boolean> {
  const fields = req.searchAttributes?.indexedFields;
  if (!fields || Object.keys(fields).length === 0) return false;
  const checked = await registry.validate(namespace.id, fields);
  if (!checked.ok) throw ServiceError.invalidArgument(checked.error.message);
  const indexedFields: { [name: string]: T.api.common.v1.IPayload } = {};
  for (const [name, attribute] of checked.value)
    if (attribute.value !== null) indexedFields[name] = attribute.payload;
  req.searchAttributes = Object.keys(indexedFields).length > 0 ? { indexedFields } : null;
  return true;
}
