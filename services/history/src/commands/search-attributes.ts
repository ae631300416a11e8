import { ok, type Result } from '@odin/hugo';
import type { SearchAttributeRegistry, ValidatedSearchAttribute } from '@odin/persistence';
import { temporal } from '@odin/api';
import type { temporal as T } from '@temporalio/proto';
import { Cause, CommandFailure } from './command-failure.js';

type Payload = T.api.common.v1.IPayload;
type Fields = { [name: string]: Payload } | null | undefined;
export type CheckedSearchAttributes = Map<string, ValidatedSearchAttribute<Payload>>;

/** The checked search attributes of one of this completion's commands (by their `indexedFields` object). */
export type SearchAttributeCheck = (fields: Fields) => Result<CheckedSearchAttributes>;

const CommandType = temporal.api.enums.v1.CommandType;

function fieldsOf(command: T.api.command.v1.ICommand): Fields {
  switch (command.commandType) {
    case CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
      return command.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes?.indexedFields;
    case CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION:
      return command.startChildWorkflowExecutionCommandAttributes?.searchAttributes?.indexedFields;
    case CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
      return command.continueAsNewWorkflowExecutionCommandAttributes?.searchAttributes?.indexedFields;
    default:
      return undefined;
  }
}

/**
 * Checks every search attribute a completion's commands set (upsert, child start, continue-as-new) against the
 * namespace's registry before the transition runs, since the registry is read from the store and commands are
 * applied synchronously. A refusal is confirmed on a fresh read (SearchAttributeRegistry.validate).
 */
export async function checkCommandSearchAttributes(
  registry: SearchAttributeRegistry,
  namespaceId: string,
  commands: readonly T.api.command.v1.ICommand[],
): Promise<SearchAttributeCheck> {
  const checked = new Map<object, Result<CheckedSearchAttributes>>();
  for (const command of commands) {
    const fields = fieldsOf(command);
    if (fields && !checked.has(fields)) checked.set(fields, await registry.validate(namespaceId, fields));
  }
  return (fields) => (fields ? (checked.get(fields) ?? ok(new Map())) : ok(new Map()));
}

/** The attributes with values, as payloads annotated with their type; throws BAD_SEARCH_ATTRIBUTES on a refusal. */
export function checkedSearchAttributes(
  check: SearchAttributeCheck | undefined,
  fields: Fields,
): CheckedSearchAttributes {
  if (!check || !fields) return new Map();
  const result = check(fields);
  if (!result.ok) {
    throw new CommandFailure(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES, result.error.message);
  }
  return result.value;
}

/** The SearchAttributes of the non-nil checked attributes (what a new run starts with). */
export function presentSearchAttributes(
  checked: CheckedSearchAttributes,
): T.api.common.v1.ISearchAttributes | null {
  const indexedFields: { [name: string]: Payload } = {};
  for (const [name, a] of checked) if (a.value !== null) indexedFields[name] = a.payload;
  return Object.keys(indexedFields).length > 0 ? { indexedFields } : null;
}
