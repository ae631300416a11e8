import type { SearchAttributeType, VisibilitySystemAttribute } from '../contract.js';

/** Temporal's IndexedValueType numbers by type name (the enum's order). */
export const INDEXED_VALUE_TYPES: Readonly<Record<SearchAttributeType, number>> = {
  Text: 1,
  Keyword: 2,
  Int: 3,
  Double: 4,
  Bool: 5,
  Datetime: 6,
  KeywordList: 7,
};

const TYPE_BY_NUMBER = new Map(Object.entries(INDEXED_VALUE_TYPES).map(([name, n]) => [n, name]));

/** The type name of an IndexedValueType number; undefined for UNSPECIFIED and numbers Temporal does not define. */
export function searchAttributeTypeOf(indexedValueType: number): SearchAttributeType | undefined {
  return TYPE_BY_NUMBER.get(indexedValueType) as SearchAttributeType | undefined;
}

export function isSearchAttributeType(value: string): value is SearchAttributeType {
  return Object.hasOwn(INDEXED_VALUE_TYPES, value);
}

/** Attributes every run has, kept in typed columns of visibility_records; no client sets them. */
export const SYSTEM_SEARCH_ATTRIBUTES: Readonly<Record<VisibilitySystemAttribute, SearchAttributeType>> = {
  WorkflowId: 'Keyword',
  RunId: 'Keyword',
  WorkflowType: 'Keyword',
  ExecutionStatus: 'Keyword',
  TaskQueue: 'Keyword',
  StartTime: 'Datetime',
  ExecutionTime: 'Datetime',
  CloseTime: 'Datetime',
  ExecutionDuration: 'Int',
  HistoryLength: 'Int',
  HistorySizeBytes: 'Int',
  ParentWorkflowId: 'Keyword',
  ParentRunId: 'Keyword',
  RootWorkflowId: 'Keyword',
  RootRunId: 'Keyword',
};

export function isSystemSearchAttribute(name: string): name is VisibilitySystemAttribute {
  return Object.hasOwn(SYSTEM_SEARCH_ATTRIBUTES, name);
}

/**
 * Temporal's predefined attributes: registered in every namespace, stored like custom ones. Clients may set
 * those in SETTABLE_PREDEFINED (Temporal's allow-list); the others are the server's, which Odin does not write yet,
 * so they only ever read as unset.
 */
export const PREDEFINED_SEARCH_ATTRIBUTES: Readonly<Record<string, SearchAttributeType>> = {
  TemporalChangeVersion: 'KeywordList',
  BinaryChecksums: 'KeywordList',
  BuildIds: 'KeywordList',
  BatcherNamespace: 'Keyword',
  BatcherUser: 'Keyword',
  TemporalScheduledStartTime: 'Datetime',
  TemporalScheduledById: 'Keyword',
  TemporalSchedulePaused: 'Bool',
  TemporalNamespaceDivision: 'Keyword',
  TemporalPauseInfo: 'KeywordList',
  TemporalReportedProblems: 'KeywordList',
  TemporalWorkerDeploymentVersion: 'Keyword',
  TemporalWorkerDeployment: 'Keyword',
  TemporalWorkflowVersioningBehavior: 'Keyword',
  TemporalUsedWorkerDeploymentVersions: 'KeywordList',
};

const SETTABLE_PREDEFINED = new Set([
  'TemporalChangeVersion',
  'BinaryChecksums',
  'BuildIds',
  'BatcherNamespace',
  'BatcherUser',
  'TemporalScheduledStartTime',
  'TemporalScheduledById',
  'TemporalSchedulePaused',
  'TemporalNamespaceDivision',
  'TemporalPauseInfo',
  'TemporalReportedProblems',
]);

export function isPredefinedSearchAttribute(name: string): boolean {
  return Object.hasOwn(PREDEFINED_SEARCH_ATTRIBUTES, name);
}

/** Whether a client may set the attribute (custom ones: when registered, checked elsewhere). */
export function isClientSettable(name: string): boolean {
  return (
    !isSystemSearchAttribute(name) && (!isPredefinedSearchAttribute(name) || SETTABLE_PREDEFINED.has(name))
  );
}

/** Field names of Temporal's visibility records that are no search attributes but may not name one. */
const RESERVED_FIELDS = new Set(['NamespaceId', 'Memo', 'MemoEncoding', 'VisibilityTaskKey']);

/** A name no custom attribute may take: a system or predefined one, a reserved field, or Temporal's prefix. */
export function isReservedSearchAttributeName(name: string): boolean {
  return (
    isSystemSearchAttribute(name) ||
    isPredefinedSearchAttribute(name) ||
    RESERVED_FIELDS.has(name) ||
    name.startsWith('Temporal')
  );
}

/**
 * Names a custom attribute may take: a letter or underscore, then letters, digits, `_` or `-`, at most 255 in all
 * (the stored name is a VARCHAR(255)). Names with spaces or dots would need quoting in every query; Odin refuses them.
 */
export const SEARCH_ATTRIBUTE_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,254}$/;

/**
 * Temporal's SQL visibility offers this many custom attributes of each type per namespace (its pre-allocated
 * columns); Odin enforces the same numbers, so a namespace that fits one fits the other.
 */
export const CUSTOM_SEARCH_ATTRIBUTE_LIMITS: Readonly<Record<SearchAttributeType, number>> = {
  Bool: 3,
  Int: 3,
  Double: 3,
  Datetime: 3,
  Keyword: 10,
  KeywordList: 3,
  Text: 3,
};

/**
 * The custom attributes Temporal's development server registers, which SDK samples and test suites rely on. Odin
 * registers them in the namespaces its server creates itself at start-up (see ensureNamespace in the frontend).
 */
export const DEV_SERVER_SEARCH_ATTRIBUTES: Readonly<Record<string, SearchAttributeType>> = {
  CustomKeywordField: 'Keyword',
  CustomStringField: 'Text',
  CustomTextField: 'Text',
  CustomIntField: 'Int',
  CustomDatetimeField: 'Datetime',
  CustomDoubleField: 'Double',
  CustomBoolField: 'Bool',
};
